// Overlapping promotions of one app, end to end (real dev server, real git, the Argo CD simulator with an
// auto-synced dev, two worker processes): `concurrency: supersede` and `queue`, a holder soaking in prod while a
// newer promotion is approved, a displaced approved promotion, a terminated holder noticed by the lane itself,
// prod only moving forward unless --allow-older, and forged or malformed lane messages that change nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { validatePromotionInput, type PromotionInput } from '../../src/config/promotion-input.js';
import { laneWorkflowId } from '../../src/workflows/workflow-ids.js';
import { approveSignal, laneViewQuery, statusQuery } from '../../src/workflows/messages.js';
import type { PromotionResult, PromotionStatus } from '../../src/workflows/promotion-status.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';

let env: PromotionEnvironment;

const pipeline = (mode: 'supersede' | 'queue', soak: string) => `apps:
  myapp:
    concurrency: ${mode}
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice, bob], required: 1, timeout: 10m }
        soak: ${soak}
`;

beforeAll(async () => {
  // A crash-looping rollout stays Progressing for a while before it is Degraded, as in Kubernetes: long enough
  // for a newer promotion to arrive while the older one still waits in dev.
  env = await createPromotionEnvironment({ pipeline: pipeline('supersede', '2s'), simulator: { progressDeadlineMs: 30_000 } });
  env.spawnWorker();
  env.spawnWorker();
}, 180_000);
afterAll(async () => env?.close());

let current = pipeline('supersede', '2s');
async function usePipeline(mode: 'supersede' | 'queue', soak = '2s') {
  if (pipeline(mode, soak) === current) return;
  current = pipeline(mode, soak);
  await env.commitFile('promenade.yaml', current, `Pipeline: ${mode}, soak ${soak}`);
}
const approve = (workflowId: string) => env.client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice' });
const status = (workflowId: string) => env.client.workflow.getHandle(workflowId).query(statusQuery);
const resultOf = (workflowId: string): Promise<PromotionResult> => env.client.workflow.getHandle(workflowId).result();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function approveWhenAwaiting(workflowId: string) {
  await env.waitForState(workflowId, ['awaiting-approval'], 120_000);
  await approve(workflowId);
}

/** Holds until the promotion waits for `holder` to leave prod, as its status says. */
const waitingFor = (workflowId: string, holder: string) =>
  until(`${workflowId} waiting for ${holder}`, async () => ((await status(workflowId)).waiting === `waiting for ${holder} to leave prod` ? true : undefined));

async function isAncestor(older: string, newer: string): Promise<boolean> {
  return env.git('merge-base', '--is-ancestor', older, newer).then(
    () => true,
    () => false,
  );
}

/** No workflow task of this run ever failed (a malformed message must not fail one). */
async function workflowTaskFailures(workflowId: string): Promise<number> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
}

/** Starts a promotion whose run begins only when woken (signal-with-start), keeping its earlier start time. */
async function startDelayed(input: Omit<PromotionInput, 'requestedBy'>): Promise<string> {
  const workflowId = `test-myapp-older-${randomUUID()}`;
  await env.client.workflow.start('promotion', {
    taskQueue: env.taskQueue,
    workflowId,
    args: [validatePromotionInput({ requestedBy: 'ci-bot', ...input })],
    startDelay: '1 hour',
  });
  return workflowId;
}
async function wake(workflowId: string, input: Omit<PromotionInput, 'requestedBy'>) {
  await env.client.workflow.signalWithStart('promotion', {
    taskQueue: env.taskQueue,
    workflowId,
    args: [validatePromotionInput({ requestedBy: 'ci-bot', ...input })],
    signal: 'lane',
    signalArgs: [{ kind: 'changed' }],
  });
}

describe('concurrency: supersede (latest wins)', () => {
  it('an older promotion still waiting in auto-synced dev is superseded by a newer one, not rolled back over it', async () => {
    env.sim.faults.failImages('nginx:9.9', 'crash');
    const older = await env.promote({ app: 'myapp', image: 'nginx:9.9' });
    await until('the older promotion in dev', async () => ((await promotionCommits(env, older.workflowId)).length > 0 ? true : undefined));
    const newer = await env.promote({ app: 'myapp', image: 'nginx:1.27' });

    const olderResult = await older.result();
    await recordHistory(env, older.workflowId, 'lane-v2-superseded-in-dev');
    expect(olderResult.state).toBe('superseded');
    expect(olderResult.status.failure).toBe(`dev-sync: superseded by ${newer.workflowId} in dev`);
    expect(olderResult.status.stages.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'skipped']);

    await env.waitForState(newer.workflowId, ['awaiting-approval'], 120_000);
    expect(env.deployedImage('dev')).toBe('nginx:1.27');
    // Git: the older dev commit, then the newer one on top of it; nothing reverted.
    const olderCommits = await promotionCommits(env, older.workflowId);
    const newerCommits = await promotionCommits(env, newer.workflowId);
    expect(olderCommits.map((c) => c.stage)).toEqual(['dev-sync']);
    expect(await isAncestor(olderCommits[0]!.sha, newerCommits[0]!.sha)).toBe(true);
    expect(await env.git('log', '--format=%B', 'origin/main')).not.toContain('Promenade-Reverts');

    await approve(newer.workflowId);
    expect((await newer.result()).state).toBe('promoted');
    expect(env.deployedImage('prod')).toBe('nginx:1.27');
    env.sim.faults.clearImageFailures();
  });

  it('an older promotion soaking in prod finishes (here: rolls back) while a newer approved one waits; an approved one waiting is displaced by a newer approved one and told', async () => {
    await usePipeline('supersede', '10m');
    const holder = await env.promote({ app: 'myapp', image: 'nginx:1.30' });
    await approveWhenAwaiting(holder.workflowId);
    await env.waitForState(holder.workflowId, ['verifying'], 120_000);
    await usePipeline('supersede', '2s');

    const next = await env.promote({ app: 'myapp', image: 'nginx:1.31' });
    await approveWhenAwaiting(next.workflowId);
    await waitingFor(next.workflowId, holder.workflowId);
    // Someone forging the lane's word changes nothing: the lane is asked, and it says wait.
    await next.signal('lane', { kind: 'prod-cleared' });
    const newest = await env.promote({ app: 'myapp', image: 'nginx:1.32' });
    await env.waitForState(newest.workflowId, ['awaiting-approval'], 120_000);
    expect((await status(next.workflowId)).state).toBe('promoting');
    expect((await status(next.workflowId)).waiting).toBe(`waiting for ${holder.workflowId} to leave prod`);

    await approve(newest.workflowId);
    const displaced = await next.result();
    expect(displaced.state).toBe('superseded');
    expect(displaced.status.failure).toBe(`approval: superseded by ${newest.workflowId} in prod`);
    await waitingFor(newest.workflowId, holder.workflowId);
    expect(env.deployedImage('prod')).toBe('nginx:1.30');

    // The holder's soak fails: it rolls back normally, and only then does the newer one enter prod.
    env.sim.faults.failImages('nginx:1.30', 'crash');
    const holderEnd = await holder.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(holderEnd).toBeInstanceOf(WorkflowFailedError);
    expect((holderEnd as WorkflowFailedError).cause?.message).toMatch(/^verify-health failed: .*; rolled back prod/);
    env.sim.faults.clearImageFailures();
    expect((await newest.result()).state).toBe('promoted');
    expect(env.deployedImage('prod')).toBe('nginx:1.32');
    expect((await promotionCommits(env, next.workflowId)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote']);
  });

  it('a holder terminated without releasing is noticed by the lane itself, with no new claim', async () => {
    await usePipeline('supersede', '10m');
    const holder = await env.promote({ app: 'myapp', image: 'nginx:1.33' });
    await approveWhenAwaiting(holder.workflowId);
    await env.waitForState(holder.workflowId, ['verifying'], 120_000);
    await usePipeline('supersede', '2s');
    const waiter = await env.promote({ app: 'myapp', image: 'nginx:1.34' });
    await approveWhenAwaiting(waiter.workflowId);
    await waitingFor(waiter.workflowId, holder.workflowId);

    await holder.terminate('an operator terminated it instead of cancelling');
    const lane = env.client.workflow.getHandle(laneWorkflowId('myapp', env.taskQueue));
    expect((await waiter.result()).state).toBe('promoted');
    expect(env.deployedImage('prod')).toBe('nginx:1.34');
    await recordHistory(env, lane.workflowId, 'lane-v2-app-lane');
    expect(await workflowTaskFailures(lane.workflowId)).toBe(0);
  });
});

describe('messages to the lane and to a promotion are checked, never trusted', () => {
  it('null and forged lane messages change nothing; workflows keep running and the promotion reaches prod', async () => {
    await usePipeline('supersede', '2s');
    const promotion = await env.promote({ app: 'myapp', image: 'nginx:1.60' });
    await env.waitForState(promotion.workflowId, ['awaiting-approval'], 120_000);
    const lane = env.client.workflow.getHandle(laneWorkflowId('myapp', env.taskQueue));

    await lane.signal('lane-request', null);
    await lane.signal('lane-request', { kind: 'release', promotionId: promotion.workflowId });
    await lane.signal('lane-request', { kind: 'claim', promotionId: 'promote:myapp:nginx:99', startedAt: Number.MAX_SAFE_INTEGER });
    await lane.signal('lane-request', { kind: 'claim', promotionId: lane.workflowId, startedAt: 1 });
    for (const message of [null, 'superseded', { kind: 'prod-cleared' }, { kind: 'superseded' }, { kind: 'superseded', by: 'mallory' }]) {
      await promotion.signal('lane', message as never);
    }
    // Both have handled everything sent so far (a query after the signals is answered after them).
    await until('the lane to settle', async () => ((await lane.query(laneViewQuery)).decisions[promotion.workflowId]?.kind === 'gate' ? true : undefined));
    const now: PromotionStatus = await status(promotion.workflowId);
    expect(now.state).toBe('awaiting-approval');
    expect((await lane.describe()).status.name).toBe('RUNNING');
    expect((await promotion.describe()).status.name).toBe('RUNNING');

    await approve(promotion.workflowId);
    expect((await promotion.result()).state).toBe('promoted');
    expect(env.deployedImage('prod')).toBe('nginx:1.60');
    expect(await workflowTaskFailures(promotion.workflowId)).toBe(0);
    expect(await workflowTaskFailures(lane.workflowId)).toBe(0);
  });
});

describe('concurrency: queue (every version)', () => {
  it('overlapping promotions pass each environment one at a time in start order, and both are promoted', async () => {
    await usePipeline('queue', '2s');
    const first = await env.promote({ app: 'myapp', image: 'nginx:1.50' });
    // Queue order is the order promotions first reach the lane: start the second once the first is in dev.
    await until('the first promotion in dev', async () => ((await promotionCommits(env, first.workflowId)).length > 0 ? true : undefined));
    const second = await env.promote({ app: 'myapp', image: 'nginx:1.51' });
    await Promise.all([approveWhenAwaiting(first.workflowId), approveWhenAwaiting(second.workflowId)]);
    expect((await first.result()).state).toBe('promoted');
    expect((await second.result()).state).toBe('promoted');

    const a = await promotionCommits(env, first.workflowId);
    const b = await promotionCommits(env, second.workflowId);
    expect(a.map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote']);
    expect(b.map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote']);
    for (let i = 0; i < 3; i++) expect(await isAncestor(a[i]!.sha, b[i]!.sha)).toBe(true);
    for (const namespace of ['dev', 'staging', 'prod']) expect(env.deployedImage(namespace)).toBe('nginx:1.51');
  });

  it('an older promotion is refused in prod once a newer one got there, and accepted with allowOlder (recorded in the commit)', async () => {
    await usePipeline('queue', '2s');
    const older = await startDelayed({ app: 'myapp', image: 'nginx:1.40' });
    const newer = await env.promote({ app: 'myapp', image: 'nginx:1.41' });
    await approveWhenAwaiting(newer.workflowId);
    expect((await newer.result()).state).toBe('promoted');

    await wake(older, { app: 'myapp', image: 'nginx:1.40' });
    const refused = await resultOf(older);
    expect(refused.state).toBe('superseded');
    expect(refused.status.failure).toBe(`approval: superseded by ${newer.workflowId} in prod`);
    expect(env.deployedImage('prod')).toBe('nginx:1.41');
    expect((await promotionCommits(env, older)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote']);

    const allowed = await startDelayed({ app: 'myapp', image: 'nginx:1.42', allowOlder: true });
    const newest = await env.promote({ app: 'myapp', image: 'nginx:1.43' });
    await approveWhenAwaiting(newest.workflowId);
    expect((await newest.result()).state).toBe('promoted');
    await wake(allowed, { app: 'myapp', image: 'nginx:1.42', allowOlder: true });
    await approveWhenAwaiting(allowed);
    expect((await resultOf(allowed)).state).toBe('promoted');
    expect(env.deployedImage('prod')).toBe('nginx:1.42');
    const prodCommit = (await promotionCommits(env, allowed)).find((c) => c.stage === 'prod-promote');
    expect(prodCommit?.body).toContain('Promenade-Allow-Older: true');
  });
});
