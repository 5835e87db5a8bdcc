// The differential test: one scripted scenario (login, errors, create, sync, wait, refresh, push, auto-sync,
// rollback and terminate error cases, the watch stream) run against the simulator and the real Argo CD.
// It compares status codes, error bodies, the presence of the fields promenade reads and the order of
// operation and reconcile events, writes differential-report.md beside this file, and fails on any
// difference that is not listed (with its reason) in ACCEPTED below and in src/argocd-sim/README.md.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArgoCDSimulator, type ArgoCDSimulator } from '../../src/argocd-sim/index.js';
import { FAST_SIMULATOR } from '../support/promotion-environment.js';
import { createGitopsRepo, realLane, type GitopsRepo } from './environment.js';
import { layout, READ_BY_PROMENADE, runScenario, type ScenarioResult } from './differential-scenario.js';

const REPORT = fileURLToPath(new URL('./differential-report.md', import.meta.url));

/**
 * Differences that are on purpose, by check name, each with its reason (the same list is in
 * src/argocd-sim/README.md). Anything else the scenario finds fails the test.
 */
export const ACCEPTED: Record<string, string> = {
  'resource tree: status':
    'the simulator has no resource-tree endpoint: promenade reads health from the Application (status.health, status.resources), never the tree',
  'managed resources: status': 'the simulator has no managed-resources endpoint: promenade never reads it',
};

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
