// The scripted scenario of the differential test (differential.test.ts): the same requests against any Argo CD
// API, recorded as status codes, normalised error bodies, field paths and watch-stream milestones.
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { argocdSessionToken } from '../../src/stack/seed-applications.js';
import type { GitopsRepo } from './environment.js';

const NS = 'diff';
const MANUAL = 'diff-manual';
const AUTO = 'diff-auto';

export interface Target {
  name: 'simulator' | 'real';
  url: string;
  password: string;
  repo: GitopsRepo;
}

export interface Observation {
  step: string;
  status: number;
  /** Error body normalised (SHAs, times, token claims replaced), or the 415 text. */
  error?: string;
  /** For successes: the field paths present, as a sorted list. */
  fields?: string[];
}

export interface ScenarioResult {
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
export const READ_BY_PROMENADE = [
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

export async function runScenario(target: Target): Promise<ScenarioResult> {
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
  const forged = `${token.split('.').slice(0, 2).join('.')}.c2lnbmF0dXJl`;
  await call('a JWT with a bad signature', 'GET', `/api/v1/applications/${MANUAL}`, undefined, { authorization: `Bearer ${forged}` });
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
  const malformedText = (await malformed.text()).trim();
  let malformedBody = malformedText;
  try {
    const j = JSON.parse(malformedText);
    // The decoder's own words differ (Go's encoding/json vs JSON.parse): compare the shape and code only.
    malformedBody = JSON.stringify({ ...j, error: '<decode error>', message: '<decode error>' });
  } catch {
    /* not JSON: compared as text */
  }
  observations.push({ step: 'sync with a malformed body', status: malformed.status, error: malformed.status >= 400 ? malformedBody : undefined });

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

export async function layout(repo: GitopsRepo): Promise<void> {
  await repo.commitFile(`${NS}/manual/deployment.yaml`, seedDeployment('diff-manual', NS, 1, 'nginx:1.19'), 'manual app');
  await repo.commitFile(`${NS}/auto/deployment.yaml`, seedDeployment('diff-auto', NS, 1, 'nginx:1.19'), 'auto app');
}

