// Scenario 3: Argo CD misbehaving. Transient trouble (20% 5xx, latency, dropped connections, someone else's
// operation) is ridden out and the promotion lands; a failing sync is rolled back; 401, 403 and 404 end the stage
// at once with a message naming the application and the cause, in a handful of requests (no retry storm).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionEnvironment } from '../support/promotion-environment.js';
import { count, recordFigures } from './figures.js';
import { BASE_IMAGE, auditLedger, createServicesEnvironment, outcomeOf, remoteTip } from './support.js';

const FLAKY = ['a-flaky-1', 'a-flaky-2', 'a-flaky-3', 'a-flaky-4'];
const ENVIRONMENTS = [
  { name: 'dev', automated: true },
  { name: 'staging', automated: false },
  { name: 'prod', automated: false },
];
// Each access case gets one environment, staging, synced by promenade (auto-sync would hide a refused sync).
const STAGING_ONLY = [{ name: 'staging', automated: false }];
const MAX_REQUESTS_ON_ACCESS_ERROR = 20;

let env: PromotionEnvironment;
const figures = { promotions: 0, faults: {} as Record<string, number>, states: [] as string[], duplicates: 0, lost: 0 };
const started = Date.now();

beforeAll(async () => {
  env = await createServicesEnvironment([...FLAKY, 'a-sync', 'a-foreign', 'a-ghost'], ENVIRONMENTS, {
    appEntries: { 'a-ghost': '{ environments: [{ name: staging, application: "no-such-app-{env}", approval: false, soak: 0s }] }' },
  });
  await env.startWorker();
}, 180_000);
afterAll(async () => {
  recordFigures({
    scenario: '3 Argo CD trouble',
    promotions: figures.promotions,
    faults: figures.faults,
    outcomes: count(figures.states),
    duplicates: figures.duplicates,
    lostUpdates: figures.lost,
    durationMs: Date.now() - started,
  });
  await env?.close();
});

function tally(fault: string, n = 1) {
  figures.faults[fault] = (figures.faults[fault] ?? 0) + n;
}

describe('Argo CD trouble', () => {
  it('20% 5xx, 100 ms latency and 5% dropped connections: every promotion still lands', async () => {
    const startTip = await remoteTip(env);
    env.sim.resetRequests();
    env.sim.faults.setHttpFaults({ errorRate: 0.2, errorStatus: 503, latencyMs: 100, dropRate: 0.05 });
    try {
      const handles = await Promise.all(FLAKY.map((app, i) => env.promote({ app, image: `registry.example.com/${app}:3.0.${i}` })));
      const outcomes = await Promise.all(handles.map((h) => outcomeOf(env, h.workflowId)));
      const requests = env.sim.requests().total;
      tally('HTTP 503 (20%)', Math.round(requests * 0.2));
      tally('dropped connection (5%)', Math.round(requests * 0.05));
      tally('latency 100 ms', requests);
      figures.promotions += FLAKY.length;
      figures.states.push(...outcomes.map((o) => o.state));
      expect(outcomes.map((o) => `${o.state} ${o.failure?.message ?? ''}`.trim())).toEqual(FLAKY.map(() => 'promoted'));
      const audit = await auditLedger(env, new Map(handles.map((h) => [h.workflowId, ['dev-sync', 'staging-promote', 'prod-promote']])), startTip);
      figures.duplicates += audit.duplicates;
      figures.lost += audit.missing;
      expect(audit.mismatched).toEqual([]);
      for (const [i, app] of FLAKY.entries()) expect(env.deployedImage('prod', app)).toBe(`registry.example.com/${app}:3.0.${i}`);
    } finally {
      env.sim.faults.setHttpFaults({});
    }
  });

  it('a sync that fails is rolled back; an operation somebody else started is waited out', async () => {
    const startTip = await remoteTip(env);
    env.sim.faults.failNextSyncs('a-sync-staging', 1);
    tally('failing sync');
    // Held long enough that promenade's staging sync meets it still running.
    await env.sim.faults.startForeignOperation({ app: 'a-foreign-staging', username: 'someone-else', holdMs: 15_000 });
    tally("someone else's operation");
    const failing = await env.promote({ app: 'a-sync', image: 'registry.example.com/a-sync:3.1.0' });
    const foreign = await env.promote({ app: 'a-foreign', image: 'registry.example.com/a-foreign:3.1.0' });
    const [failed, landed] = await Promise.all([outcomeOf(env, failing.workflowId), outcomeOf(env, foreign.workflowId)]);
    figures.promotions += 2;
    figures.states.push(failed.state, landed.state);

    expect(failed.state).toBe('rolled-back');
    expect(failed.failure?.message).toMatch(/^staging-promote failed: .*simulated sync failure.*; rolled back staging/);
    expect(env.deployedImage('staging', 'a-sync')).toBe(BASE_IMAGE);
    expect(landed.state).toBe('promoted');
    expect(env.deployedImage('prod', 'a-foreign')).toBe('registry.example.com/a-foreign:3.1.0');
    const audit = await auditLedger(
      env,
      new Map([
        [failing.workflowId, ['dev-sync', 'staging-promote', 'staging-promote-rollback']],
        [foreign.workflowId, ['dev-sync', 'staging-promote', 'prod-promote']],
      ]),
      startTip,
    );
    figures.duplicates += audit.duplicates;
    figures.lost += audit.missing;
    expect(audit.mismatched).toEqual([]);
  });

  it('404: a wrong application name ends the stage at once, naming the application', async () => {
    env.sim.resetRequests();
    const handle = await env.promote({ app: 'a-ghost', image: 'registry.example.com/a-ghost:1.0.0' });
    const outcome = await outcomeOf(env, handle.workflowId);
    figures.promotions++;
    tally('HTTP 404 (wrong app name)');
    figures.states.push(outcome.state);
    expect(outcome.failure?.message).toMatch(/Argo CD application no-such-app-staging: it does not exist in that project/);
    expect(env.sim.requests().total).toBeLessThanOrEqual(MAX_REQUESTS_ON_ACCESS_ERROR);
  });

  for (const access of [
    { status: 401, token: 'not-a-token-anyone-issued', cause: /Argo CD application acl-staging: the token is missing, invalid or expired/ },
    { status: 403, token: 'read-only-ci-token', cause: /Argo CD application acl-staging: the token lacks RBAC permission for it, or its project is wrong/ },
  ]) {
    it(`${access.status}: ends the stage at once, naming the application and the cause`, async () => {
      const own = await createServicesEnvironment(['acl'], STAGING_ONLY, {
        simulator: { tokens: [{ token: 'read-only-ci-token', subject: 'ci', policies: [{ action: 'get', object: 'default/*' }] }] },
      });
      try {
        own.settings.argocd = { ...own.settings.argocd, token: access.token };
        await own.startWorker();
        own.sim.resetRequests();
        const handle = await own.promote({ app: 'acl', image: 'registry.example.com/acl:1.0.0' });
        const outcome = await outcomeOf(own, handle.workflowId);
        figures.promotions++;
        tally(`HTTP ${access.status}`);
        figures.states.push(outcome.state);
        expect(outcome.failure?.message).toMatch(access.cause);
        expect(outcome.failure?.message).not.toContain(access.token);
        const requests = own.sim.requests();
        expect(requests.total, JSON.stringify(requests.counts)).toBeLessThanOrEqual(MAX_REQUESTS_ON_ACCESS_ERROR);
      } finally {
        await own.close();
      }
    });
  }
});
