// The differential test: one scripted scenario (login, errors, create, sync, wait, refresh, push, auto-sync,
// rollback and terminate error cases, the watch stream) run against the simulator and the real Argo CD.
// It compares status codes, error bodies, the presence of the fields promenade reads and the order of
// operation and reconcile events, writes differential-report.md beside this file, and fails on any
// difference that is not listed (with its reason) in ACCEPTED below and in src/argocd-sim/README.md.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArgoCDSimulator, type ArgoCDSimulator } from '../../src/argocd-sim/index.js';
import { argocdSessionToken } from '../../src/stack/seed-applications.js';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { FAST_SIMULATOR } from '../support/promotion-environment.js';
import { createGitopsRepo, realLane, type GitopsRepo } from './environment.js';

const REPORT = fileURLToPath(new URL('./differential-report.md', import.meta.url));
const NS = 'diff';
const MANUAL = 'diff-manual';
const AUTO = 'diff-auto';

/**
 * Differences that are on purpose, by check name, each with its reason (the same list is in
 * src/argocd-sim/README.md). Anything else the scenario finds fails the test.
 */
export const ACCEPTED: Record<string, string> = {};

interface Target {
  name: 'simulator' | 'real';
  url: string;
  password: string;
  repo: GitopsRepo;
}

interface Observation {
  step: string;
  status: number;
  /** Error body normalised (SHAs, times, token claims replaced), or the 415 text. */
  error?: string;
  /** For successes: the field paths present, as a sorted list. */
  fields?: string[];
}

interface ScenarioResult {
  observations: Observation[];
  /** First-occurrence order of operation/reconcile milestones seen on the watch stream of the manual app. */
  milestones: string[];
  /** Field paths of the app as GET returns it once synced and healthy. */
  appFields: string[];
  autoSyncInitiatedBy?: unknown;
}

function normalise(text: string): string {
  return text
    .replace(/\b[0-9a-f]{40}\b/g, '<sha>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/iat: \d+/g, 'iat: <n>')
    .replace(/sub: [^,"]+/g, 'sub: <sub>')
    .replace(/resourceVersion":"\d+"/g, 'resourceVersion":"<n>"');
}

/** Dotted paths of every key (arrays contribute the union of their items' keys as `[]`). Values are ignored. */
export function fieldPaths(value: unknown, prefix = '', depth = 0, out = new Set<string>()): Set<string> {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const item of value) fieldPaths(item, `${prefix}[]`, depth + 1, out);
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    // Labels, annotations and info values are data, not shape.
    if (/^metadata\.(labels|annotations)$/.test(prefix)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    out.add(path);
    fieldPaths(v, path, depth + 1, out);
  }
  return out;
}

/** The fields promenade's client and readiness rules read (src/argocd/*): both sides must have them. */
const READ_BY_PROMENADE = [
  'metadata.name',
  'metadata.namespace',
  'metadata.resourceVersion',
  'spec.project',
  'spec.source.repoURL',
  'spec.source.path',
  'spec.source.targetRevision',
  'spec.destination.namespace',
  'spec.syncPolicy',
  'status.sync.status',
  'status.sync.revision',
  'status.health.status',
  'status.reconciledAt',
  'status.operationState.phase',
  'status.operationState.message',
  'status.operationState.startedAt',
  'status.operationState.finishedAt',
  'status.operationState.operation.sync.revision',
  'status.operationState.operation.initiatedBy.username',
  'status.operationState.operation.info[].name',
  'status.operationState.syncResult.revision',
  'status.operationState.syncResult.resources[].kind',
  'status.operationState.syncResult.resources[].status',
  'status.history[].id',
  'status.history[].revision',
  'status.history[].deployedAt',
  'status.resources[].kind',
  'status.resources[].name',
  'status.resources[].health.status',
];

function application(name: string, repoURL: string, path: string, automated: boolean) {
  return {
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path },
      destination: { server: 'https://kubernetes.default.svc', namespace: NS },
      syncPolicy: { ...(automated ? { automated: { prune: true, selfHeal: true } } : {}), syncOptions: ['CreateNamespace=true'] },
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runScenario(target: Target): Promise<ScenarioResult> {
  const observations: Observation[] = [];
  const token = await argocdSessionToken(target.url, 'admin', target.password);
  const call = async (step: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, auth = true) => {
    const h: Record<string, string> = { ...headers };
    if (auth && !('authorization' in h)) h.authorization = `Bearer ${token}`;
    if (method !== 'GET' && !('content-type' in h) && body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(target.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const obs: Observation = { step, status: res.status };
    if (res.status >= 400) obs.error = normalise(json ? JSON.stringify(json) : text.trim());
    else if (json !== undefined) obs.fields = [...fieldPaths(json)].sort();
    observations.push(obs);
    return { status: res.status, json };
  };
  const get = async (name: string) => (await fetch(`${target.url}/api/v1/applications/${name}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as any;
  const settled = (a: any) => {
    const s = a?.status ?? {};
    const op = s.operationState;
    return !a?.operation && op?.finishedAt && ['Succeeded', 'Failed', 'Error'].includes(op.phase) && s.reconciledAt >= op.finishedAt;
  };
  const waitFor = async (name: string, check: (a: any) => boolean, what: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const a = await get(name);
      if (check(a)) return a;
      if (Date.now() > deadline) throw new Error(`${target.name}: ${name} never reached ${what}: ${JSON.stringify(a?.status?.sync)} ${JSON.stringify(a?.status?.health)}`);
      await sleep(200);
    }
  };

  // Authentication
  await call('login with a wrong password', 'POST', '/api/v1/session', { username: 'admin', password: 'wrong' }, {}, false);
  await call('login without credentials', 'POST', '/api/v1/session', {}, {}, false);
  await call('no token', 'GET', `/api/v1/applications/${MANUAL}`, undefined, {}, false);
  await call('a malformed token', 'GET', `/api/v1/applications/${MANUAL}`, undefined, { authorization: 'Bearer not-a-jwt' });
  // Missing apps
  await call('GET a missing app without project', 'GET', '/api/v1/applications/diff-missing');
  await call('GET a missing app with project', 'GET', '/api/v1/applications/diff-missing?project=default');
  await call('sync a missing app', 'POST', '/api/v1/applications/diff-missing/sync', {});
  // Create
  await call('create with a path that does not exist', 'POST', '/api/v1/applications', application('diff-badpath', target.repo.url, 'no/such/path', false));
  await call('create the manual app', 'POST', '/api/v1/applications', application(MANUAL, target.repo.url, `${NS}/manual`, false));
  await call('create it again, identical', 'POST', '/api/v1/applications', application(MANUAL, target.repo.url, `${NS}/manual`, false));
  const changed = application(MANUAL, target.repo.url, `${NS}/auto`, false);
  await call('create it again, different, without upsert', 'POST', '/api/v1/applications', changed);
  // Content type
  await call('DELETE operation without Content-Type', 'DELETE', `/api/v1/applications/${MANUAL}/operation`);
  await call('sync with Content-Type charset=utf-8', 'POST', `/api/v1/applications/${MANUAL}/sync`, {}, { 'content-type': 'application/json; charset=utf-8' });
  await call('terminate with no operation', 'DELETE', `/api/v1/applications/${MANUAL}/operation`, {}, { 'content-type': 'application/json' });
  const malformed = await fetch(`${target.url}/api/v1/applications/${MANUAL}/sync`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"prune": tru' });
  observations.push({ step: 'sync with a malformed body', status: malformed.status, error: malformed.status >= 400 ? normalise((await malformed.text()).trim()).replace(/invalid character.*|unexpected.*|Unexpected.*/i, '<decode error>') : undefined });

  // Watch the manual app from before its first sync.
  const abort = new AbortController();
  const markers: string[] = [];
  const stream = await fetch(`${target.url}/api/v1/stream/applications?name=${MANUAL}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  observations.push({ step: 'watch stream: content type', status: stream.status, error: stream.headers.get('content-type') ?? '' });
  const reading = (async () => {
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let last = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (!line.trim()) continue;
          const { type, application: a } = JSON.parse(line).result;
          const s = a.status ?? {};
          const op = s.operationState;
          const marker = [
            type === 'ADDED' ? 'ADDED' : '',
            a.operation && !op ? 'operation accepted (no operationState)' : '',
            a.operation && op?.phase === 'Running' ? 'operation Running' : '',
            !a.operation && op && ['Succeeded', 'Failed', 'Error'].includes(op.phase) ? `operation ${op.phase}, operation cleared` : '',
            !a.operation && op?.finishedAt && s.reconciledAt >= op.finishedAt ? 'reconciled after the operation' : '',
          ].filter(Boolean);
          for (const m of marker) if (m !== last && !markers.includes(m)) markers.push((last = m));
        }
      }
    } catch {
      /* aborted */
    }
  })();
  await sleep(300);

  // Sync and the races around it
  const sync = await call('sync the manual app', 'POST', `/api/v1/applications/${MANUAL}/sync`, { infos: [{ name: 'promotion', value: 'diff' }] });
  observations.push({
    step: 'sync answer: operation set, operationState absent',
    status: sync.status,
    error: `operation=${Boolean(sync.json?.operation)} operationState=${Boolean(sync.json?.status?.operationState)} operation.sync.revision=${sync.json?.operation?.sync?.revision ? 'sha' : 'none'}`,
  });
  await call('sync again while the first is in progress', 'POST', `/api/v1/applications/${MANUAL}/sync`, {});
  const synced = await waitFor(MANUAL, (a) => settled(a) && a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy', 'synced and healthy');
  await call('GET with refresh=normal', 'GET', `/api/v1/applications/${MANUAL}?refresh=normal`);
  await call('rollback to a missing history id', 'POST', `/api/v1/applications/${MANUAL}/rollback`, { id: 99 });
  await call('terminate after the operation finished', 'DELETE', `/api/v1/applications/${MANUAL}/operation`, {}, { 'content-type': 'application/json' });
  await call('resource tree', 'GET', `/api/v1/applications/${MANUAL}/resource-tree`);
  await call('managed resources', 'GET', `/api/v1/applications/${MANUAL}/managed-resources`);
  await sleep(500);
  abort.abort();
  await reading;

  // Auto-sync: create, push, refresh, auto-sync
  await call('create the auto-sync app', 'POST', '/api/v1/applications', application(AUTO, target.repo.url, `${NS}/auto`, true));
  await waitFor(AUTO, (a) => settled(a) && a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy', 'first auto-sync');
  await call('rollback on an auto-sync app', 'POST', `/api/v1/applications/${AUTO}/rollback`, { id: 0 });
  const before = await target.repo.git('rev-parse', 'HEAD');
  const sha = await target.repo.commitFile(`${NS}/auto/deployment.yaml`, seedDeployment('diff-auto', NS, 2, 'nginx:1.21'), 'auto: 1.21');
  await call('sync an auto-sync app to another revision', 'POST', `/api/v1/applications/${AUTO}/sync`, { revision: before });
  await call('GET with refresh=normal after a push', 'GET', `/api/v1/applications/${AUTO}?refresh=normal`);
  const auto = await waitFor(AUTO, (a) => settled(a) && a.status?.operationState?.syncResult?.revision === sha && a.status?.health?.status === 'Healthy', 'auto-sync of the push');

  return { observations, milestones: markers, appFields: [...fieldPaths(synced)].sort(), autoSyncInitiatedBy: auto.status.operationState.operation.initiatedBy };
}

async function layout(repo: GitopsRepo): Promise<void> {
  await repo.commitFile(`${NS}/manual/deployment.yaml`, seedDeployment('diff-manual', NS, 1, 'nginx:1.19'), 'manual app');
  await repo.commitFile(`${NS}/auto/deployment.yaml`, seedDeployment('diff-auto', NS, 1, 'nginx:1.19'), 'auto app');
}

let sim: ArgoCDSimulator;
let simRepo: GitopsRepo;
let realRepo: GitopsRepo;

beforeAll(async () => {
  simRepo = await createGitopsRepo();
  realRepo = await createGitopsRepo();
  await layout(simRepo);
  await layout(realRepo);
  sim = await startArgoCDSimulator({ ...FAST_SIMULATOR, port: 0 });
});
afterAll(async () => {
  await sim?.stop();
  await simRepo?.cleanup();
  await realRepo?.cleanup();
});

interface Difference {
  check: string;
  simulator: string;
  real: string;
}

function compare(a: ScenarioResult, b: ScenarioResult): Difference[] {
  const diffs: Difference[] = [];
  for (const o of b.observations) {
    const s = a.observations.find((x) => x.step === o.step);
    if (!s) continue;
    if (s.status !== o.status) diffs.push({ check: `${o.step}: status`, simulator: String(s.status), real: String(o.status) });
    else if ((s.error ?? '') !== (o.error ?? '')) diffs.push({ check: `${o.step}: body`, simulator: s.error ?? '', real: o.error ?? '' });
  }
  const simFields = new Set(a.appFields);
  const realFields = new Set(b.appFields);
  for (const f of READ_BY_PROMENADE) {
    if (simFields.has(f) !== realFields.has(f)) diffs.push({ check: `field ${f}`, simulator: simFields.has(f) ? 'present' : 'absent', real: realFields.has(f) ? 'present' : 'absent' });
  }
  if (a.milestones.join(' > ') !== b.milestones.join(' > ')) diffs.push({ check: 'watch: order of operation and reconcile events', simulator: a.milestones.join(' > '), real: b.milestones.join(' > ') });
  if (JSON.stringify(a.autoSyncInitiatedBy) !== JSON.stringify(b.autoSyncInitiatedBy))
    diffs.push({ check: 'auto-sync initiatedBy', simulator: JSON.stringify(a.autoSyncInitiatedBy), real: JSON.stringify(b.autoSyncInitiatedBy) });
  return diffs;
}

function report(simResult: ScenarioResult, realResult: ScenarioResult, diffs: Difference[]): string {
  const cell = (t: string | undefined) => (t ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 220);
  const rows = realResult.observations.map((o) => {
    const s = simResult.observations.find((x) => x.step === o.step);
    const same = s && s.status === o.status && (s.error ?? '') === (o.error ?? '');
    return `| ${o.step} | ${s?.status ?? '-'} | ${o.status} | ${same ? 'same' : ACCEPTED[`${o.step}: ${s?.status !== o.status ? 'status' : 'body'}`] ? 'accepted' : '**differs**'} | ${cell(o.error)} |`;
  });
  const onlyReal = realResult.appFields.filter((f) => !simResult.appFields.includes(f));
  const onlySim = simResult.appFields.filter((f) => !realResult.appFields.includes(f));
  return `# Differential report: Argo CD simulator vs real Argo CD v3.6.1

Written by \`test/argocd-real/differential.test.ts\` (\`npm run test:argocd-real\`); do not edit by hand.
One scripted scenario ran against both; status codes, error bodies (normalised: SHAs, times and token claims
replaced), the fields promenade reads, and the order of operation/reconcile events on the watch stream are compared.

## Requests (real body shown)

| step | simulator | real | verdict | real error body / note |
|---|---|---|---|---|
${rows.join('\n')}

## Watch stream of the manual app: first occurrence of each milestone

- simulator: ${simResult.milestones.join(' > ')}
- real: ${realResult.milestones.join(' > ')}

## Fields promenade reads (${READ_BY_PROMENADE.length})

${READ_BY_PROMENADE.filter((f) => simResult.appFields.includes(f) !== realResult.appFields.includes(f)).map((f) => `- ${f}: simulator ${simResult.appFields.includes(f) ? 'has' : 'lacks'} it, real ${realResult.appFields.includes(f) ? 'has' : 'lacks'} it`).join('\n') || 'All present on both sides (or absent on both).'}

## Other fields of a synced Application (informational)

- only on the real Argo CD (${onlyReal.length}): ${onlyReal.map((f) => `\`${f}\``).join(', ') || 'none'}
- only on the simulator (${onlySim.length}): ${onlySim.map((f) => `\`${f}\``).join(', ') || 'none'}

## Differences

${diffs.length ? diffs.map((d) => `- **${d.check}**: simulator \`${cell(d.simulator)}\`, real \`${cell(d.real)}\`${ACCEPTED[d.check] ? ` (accepted: ${ACCEPTED[d.check]})` : ' (NOT ACCEPTED)'}`).join('\n') : 'None.'}
`;
}

describe('differential: simulator vs real Argo CD', () => {
  it('one scenario, the same answers (or a documented reason)', async () => {
    const simResult = await runScenario({ name: 'simulator', url: sim.url, password: 'admin', repo: simRepo });
    const l = realLane();
    const realResult = await runScenario({ name: 'real', url: l.url, password: l.adminPassword, repo: realRepo });
    const diffs = compare(simResult, realResult);
    await writeFile(REPORT, report(simResult, realResult, diffs));
    expect(diffs.filter((d) => !ACCEPTED[d.check])).toEqual([]);
  });
});
