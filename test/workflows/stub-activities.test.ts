// The promotion's own logic, driven with stub activities on a worker against the test run's dev server: no git,
// no Argo CD, so each path is fast and exact. Every rollback scope, every gate outcome, cancellation at each stage.
// The end-to-end files beside this one prove the same workflow against real components.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { startPromotion } from '../../src/client/start-promotion.js';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppPipeline, EnvironmentConfig, RollbackScope } from '../../src/config/pipeline.js';
import type { PromotionActivities } from '../../src/workflows/contract.js';
import { approveSignal, laneSignal, rejectSignal, statusQuery } from '../../src/workflows/messages.js';
import type { PromotionResult, PromotionStatus } from '../../src/workflows/promotion-status.js';
import type { promotion } from '../../src/workflows/promotion.js';
import { recordHistory, workflowBundle, type PromotionEnvironment } from '../support/promotion-environment.js';

const environment = (name: string, extra: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({
  name,
  path: `${name}/myapp`,
  argocd: { application: `myapp-${name}`, project: 'default' },
  image: { kind: 'container', file: 'deployment.yaml', container: 'myapp' },
  soakSeconds: 0,
  ...extra,
});

function pipeline(rollback: RollbackScope, timeoutSeconds = 3600): AppPipeline {
  return {
    app: 'myapp',
    repository: 'https://git.example.com/gitops.git',
    branch: 'main',
    rollback,
    policy: { source: 'local' },
    environments: [
      environment('dev'),
      environment('staging', { soakSeconds: 5 }),
      environment('prod', { approval: { approvers: ['alice'], required: 1, forbidSelfApproval: true, timeoutSeconds, identity: 'asserted' }, soakSeconds: 5 }),
    ],
  };
}

/** What one promotion's stubs do and saw; keyed by workflow ID so tests can run side by side. */
interface Script {
  pipeline: AppPipeline;
  /** Stage whose sync (or soak, for verify stages) fails terminally. */
  failAt?: string;
  /** Stage whose sync or soak blocks until the activity is cancelled. */
  blockAt?: string;
  /** lane-v2: when set, the stub lane answers that this promotion was superseded by it. */
  supersededBy?: string;
  calls: string[];
  /** lane-v2 nudges the promotion sent its lane (kept apart from calls: they come at every step). */
  nudges?: number;
  /** How many calls had been made when the latest nudge came: equal to calls.length once the promotion told its lane it left. */
  lastNudgeAfter?: number;
}
const scripts = new Map<string, Script>();
const script = (promotionId: string) => scripts.get(promotionId)!;

let client: Client;
let worker: Worker;
let running: Promise<void>;
let nativeConnection: NativeConnection;
const taskQueue = `stubs-${randomUUID()}`;

async function blockOrFail(s: Script, stage: string, what: string) {
  s.calls.push(`${what} ${stage}`);
  if (s.failAt === stage) throw ApplicationFailure.nonRetryable(`${stage} degraded`, 'Degraded');
  if (s.blockAt === stage) {
    const ctx = Context.current();
    for (;;) {
      ctx.heartbeat();
      await ctx.sleep(100);
    }
  }
}

const activities: PromotionActivities = {
  async loadPipeline() {
    return script(Context.current().info.workflowExecution!.workflowId).pipeline;
  },
  async commitImage({ promotionId, stage, environment: env }) {
    script(promotionId).calls.push(`commit ${stage}`);
    return { commit: `${env.name}-commit`.padEnd(40, '0'), previousImage: 'nginx:1.0', alreadyCommitted: false, noChange: false };
  },
  async syncEnvironment({ promotionId, stage, revision }) {
    await blockOrFail(script(promotionId), stage, 'sync');
    return { revision, health: 'Healthy', requests: 1 };
  },
  async verifyHealth({ environment: env, revision }) {
    const promotionId = Context.current().info.workflowExecution!.workflowId;
    const stage = env.name === 'prod' ? 'verify-health' : `${env.name}-verify-health`;
    await blockOrFail(script(promotionId), stage, 'soak');
    const at = new Date().toISOString();
    return { application: env.argocd.application, revision, startedAt: at, finishedAt: at, watchedMs: 0, finalHealth: 'Healthy', finalSync: 'Synced', transitions: [], superseded: false, requests: 1 };
  },
  // The stub pipelines declare no checks; the workflow only asks when an environment has some.
  async verifyChecks() {
    return { passed: true, measurements: [] };
  },
  async revertStage({ promotionId, stage }) {
    script(promotionId).calls.push(`revert ${stage}`);
    return { commit: `revert-${stage}`.padEnd(40, '0'), method: 'revert', alreadyReverted: false };
  },
  // The lane, reduced to its answer (app-lane.ts has its own tests). lane-v2 promotions only nudge it and read
  // its decision: every environment is entered at once, unless the script says the promotion was superseded.
  async signalAppLane({ message }) {
    const s = script(message.promotionId);
    if (message.kind === 'nudge') {
      s.nudges = (s.nudges ?? 0) + 1;
      s.lastNudgeAfter = s.calls.length;
    } else s.calls.push(`lane ${message.kind}`);
    if (message.kind === 'enter-prod') await client.workflow.getHandle(message.promotionId).signal(laneSignal, { kind: 'prod-cleared' });
  },
  async isPromotionRunning() {
    return true;
  },
  async readLane({ promotionId }) {
    const s = script(promotionId);
    const standing = (await client.workflow.getHandle(promotionId).query(statusQuery)).lane;
    if (!standing) return { kind: 'unknown' };
    if (s.supersededBy) return { kind: 'superseded', environment: standing.environment, by: s.supersededBy };
    return standing.atGate ? { kind: 'gate', environment: standing.environment } : { kind: 'enter', environment: standing.environment };
  },
  async inspectPromotions() {
    return [];
  },
  // The stub pipelines' gates are asserted and their decisions carry no credential: nothing should ask.
  async verifyDecision(input) {
    script(input.promotionId).calls.push(`verify ${input.purpose}`);
    return { verified: false, reason: 'the stub worker verifies no identities' };
  },
};

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = inject('temporalAddress');
  client = new Client({ connection: await Connection.connect({ address }) });
  nativeConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
});

async function start(s: Omit<Script, 'calls'>) {
  const workflowId = `stub-${randomUUID()}`;
  scripts.set(workflowId, { ...s, calls: [] });
  const handle = await client.workflow.start<typeof promotion>('promotion', { taskQueue, workflowId, args: [{ app: 'myapp', image: 'nginx:1.27', requestedBy: 'ci-bot' }] });
  return { handle, calls: () => script(workflowId).calls };
}

async function until(handle: { query: (q: typeof statusQuery) => Promise<PromotionStatus> }, ready: (s: PromotionStatus) => boolean): Promise<PromotionStatus> {
  for (let i = 0; ; i++) {
    const s = await handle.query(statusQuery).catch(() => undefined);
    if (s && ready(s)) return s;
    if (i > 600) throw new Error(`never got there: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const atGate = (s: PromotionStatus) => s.state === 'awaiting-approval';

async function failure(handle: { result: () => Promise<PromotionResult> }) {
  const err = await handle.result().then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return err as WorkflowFailedError;
}

// lane-v2: the lane is only nudged (counted apart), so no lane call appears among the stages.
const happyPath = ['commit dev-sync', 'sync dev-sync', 'commit staging-promote', 'sync staging-promote', 'soak staging-verify-health', 'commit prod-promote', 'sync prod-promote', 'soak verify-health'];

describe('gate outcomes', () => {
  it('approved: every stage runs once, in order, and the lane is released', async () => {
    const { handle, calls } = await start({ pipeline: pipeline('failed-environment') });
    await until(handle, atGate);
    await handle.signal(approveSignal, { approver: 'alice' });
    const result = await handle.result();
    expect(result.state).toBe('promoted');
    expect(calls()).toEqual(happyPath);
    expect(script(handle.workflowId).nudges).toBeGreaterThan(0);
    // Left the lane: no standing published, and the lane was nudged after the last step to come and see.
    expect(result.status.lane).toBeUndefined();
    expect(script(handle.workflowId).lastNudgeAfter).toBe(calls().length);
    expect(result.status.stages.map((s) => `${s.stage}:${s.status}`)).toEqual([
      'dev-sync:succeeded',
      'staging-promote:succeeded',
      'staging-verify-health:succeeded',
      'approval:succeeded',
      'prod-promote:succeeded',
      'verify-health:succeeded',
    ]);
  });

  it('rejected: prod is never committed', async () => {
    const { handle, calls } = await start({ pipeline: pipeline('failed-environment') });
    await until(handle, atGate);
    await handle.signal(rejectSignal, { approver: 'alice', comment: 'not today' });
    const result = await handle.result();
    expect(result.state).toBe('rejected');
    expect(calls()).toEqual(happyPath.slice(0, 5));
    expect(result.status.lane).toBeUndefined();
    expect(script(handle.workflowId).lastNudgeAfter).toBe(calls().length);
    expect(result.status.stages.slice(-2).map((s) => s.status)).toEqual(['skipped', 'skipped']);
  });

  it('expired: the gate timer fires and prod is never committed', async () => {
    const { handle, calls } = await start({ pipeline: pipeline('failed-environment', 1) });
    const result = await handle.result();
    expect(result.state).toBe('expired');
    expect(result.status.stages.find((s) => s.stage === 'approval')?.failure).toBe('expired');
    expect(calls()).not.toContain('commit prod-promote');
  });

  it('superseded: the lane names the newer promotion and the gate ends', async () => {
    const { handle, calls } = await start({ pipeline: pipeline('failed-environment') });
    await until(handle, atGate);
    script(handle.workflowId).supersededBy = 'newer-promotion';
    await handle.signal(laneSignal, { kind: 'superseded', by: 'newer-promotion' });
    const result = await handle.result();
    expect(result.state).toBe('superseded');
    expect(result.status.stages.find((s) => s.stage === 'approval')?.failure).toBe('superseded by newer-promotion in prod');
    expect(calls()).toEqual(happyPath.slice(0, 5));
    expect(script(handle.workflowId).lastNudgeAfter).toBe(calls().length);
  });
});

describe('rollback scopes', () => {
  it.each([
    ['failed-environment', ['revert prod-promote', 'sync prod-promote-rollback'], 'rolled-back'],
    ['all-promoted-environments', ['revert prod-promote', 'sync prod-promote-rollback'], 'rolled-back'],
    ['none', [], 'failed'],
  ] as const)('%s: a failed prod soak reverts %j and ends %s', async (scope, reverts, state) => {
    const { handle, calls } = await start({ pipeline: pipeline(scope), failAt: 'verify-health' });
    await until(handle, atGate);
    await handle.signal(approveSignal, { approver: 'alice' });
    const err = await failure(handle);
    const status = (err.cause as { details?: PromotionStatus[] }).details?.[0];
    expect(calls()).toEqual([...happyPath, ...reverts]);
    expect(status?.state).toBe(state);
    expect(status?.stages.find((s) => s.stage === 'prod-promote')?.status).toBe(scope === 'none' ? 'succeeded' : 'rolled-back');
    // rollback: none says what it left, instead of "rolled back nothing".
    if (scope === 'none') await recordHistory({ client } as PromotionEnvironment, handle.workflowId, 'rollback-none-failed');
    if (scope === 'none') expect(err.cause?.message).toMatch(/^verify-health failed: .+; not rolled back \(rollback: none\): prod \(prod-commit0\) keep nginx:1\.27$/);
    else expect(err.cause?.message).toMatch(/; rolled back prod \(revert-prod-/);
    // dev and staging were verified before prod failed: no scope touches them.
    expect(calls().filter((c) => c.startsWith('revert') && !c.includes('prod'))).toEqual([]);
  });

  it('a failed staging sync reverts staging only and never reaches the gate', async () => {
    const { handle, calls } = await start({ pipeline: pipeline('all-promoted-environments'), failAt: 'staging-promote' });
    await failure(handle);
    expect(calls()).toEqual(['commit dev-sync', 'sync dev-sync', 'commit staging-promote', 'sync staging-promote', 'revert staging-promote', 'sync staging-promote-rollback']);
  });
});

describe('cancellation at each stage', () => {
  it.each([
    ['dev-sync', ['revert dev-sync', 'sync dev-sync-rollback']],
    ['staging-verify-health', ['revert staging-promote', 'sync staging-promote-rollback']],
    ['approval', []],
    ['prod-promote', ['revert prod-promote', 'sync prod-promote-rollback']],
    ['verify-health', ['revert prod-promote', 'sync prod-promote-rollback']],
  ])('cancelled in %s: reverts %j', async (stage, reverts) => {
    const { handle, calls } = await start({ pipeline: pipeline('failed-environment'), blockAt: stage });
    if (stage === 'prod-promote' || stage === 'verify-health') {
      await until(handle, atGate);
      await handle.signal(approveSignal, { approver: 'alice' });
    }
    await until(handle, (s: PromotionStatus) => s.currentStage === stage && s.stages.find((r) => r.stage === stage)?.status === 'running' && (stage === 'approval' ? atGate(s) : true));
    // Wait until the blocking activity has started, so the cancel lands inside it.
    if (stage !== 'approval') await until(handle, () => calls().some((c) => c.endsWith(` ${stage}`) && !c.startsWith('commit')));
    await handle.cancel();
    await failure(handle);
    const before = calls().indexOf(calls().find((c) => c.endsWith(` ${stage}`) && !c.startsWith('commit')) ?? '');
    expect(calls().filter((c) => c.startsWith('revert') || c.includes('-rollback'))).toEqual(reverts);
    if (stage !== 'approval') expect(before).toBeGreaterThanOrEqual(0);
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status) expect(status.stages.find((s) => s.stage === stage)?.failure).toBe('promotion cancelled');
    // A promotion leaves its lane even when cancelled (lane-v2: its published standing is cleared).
    if (status) expect(status.lane).toBeUndefined();
    expect(script(handle.workflowId).lastNudgeAfter).toBe(calls().length);
  });
});

describe('what the Web UI shows', () => {
  it('details at start, summaries on every activity and the gate timer, and current details that follow the stages', async () => {
    const workflowId = `stub-${randomUUID()}`;
    scripts.set(workflowId, { pipeline: pipeline('failed-environment'), calls: [] });
    const handle = await startPromotion(
      client,
      { app: 'myapp', image: 'nginx:1.27', requestedBy: 'ci-bot', metadata: { 'ci-run': 'https://ci.example.com/run/7' } },
      { taskQueue, workflowId },
    );
    await until(handle, atGate);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('Promote myapp to nginx:1.27 (requested by ci-bot)');
    const details = await description.staticDetails();
    expect(details).toContain('**Image**: `nginx:1.27`');
    expect(details).toContain('**Requested by**: ci-bot (asserted)');
    expect(details).toContain('[https://ci.example.com/run/7](https://ci.example.com/run/7)');
    const waiting = (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
    expect(waiting).toContain('**Waiting for approval** at approval: 0 of 1 approval(s) from alice');
    expect(waiting).toContain('| staging-promote | staging | succeeded |');
    expect(waiting).toContain('| prod-promote | prod | pending |');

    await handle.signal(approveSignal, { approver: 'alice' });
    expect((await handle.result()).state).toBe('promoted');
    await recordHistory({ client } as PromotionEnvironment, workflowId, 'promoted-with-ui-metadata');
    const done = (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
    expect(done).toContain('**promoted**');
    expect(done).toContain('| verify-health | prod | succeeded |');

    const summary = (m?: { summary?: unknown } | null) => (m?.summary ? defaultPayloadConverter.fromPayload(m.summary as never) : undefined);
    const events = (await handle.fetchHistory()).events ?? [];
    // lane-v2 asks its lane between stages, as often as the lane needs: checked apart from the stages' order.
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
    const isLaneRead = (e: (typeof scheduled)[number]) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readLane';
    const laneReads = scheduled.filter(isLaneRead).map((e) => summary(e.userMetadata));
    expect(laneReads.length).toBeGreaterThan(0);
    expect(new Set(laneReads)).toEqual(new Set(["ask myapp's lane where this promotion stands"]));
    const activitySummaries = scheduled.filter((e) => !isLaneRead(e)).map((e) => summary(e.userMetadata));
    expect(activitySummaries).toEqual([
      'commit nginx:1.27 to dev',
      'wait until myapp-dev is synced and healthy',
      'commit nginx:1.27 to staging',
      'wait until myapp-staging is synced and healthy',
      'watch myapp-staging stay healthy for 5s',
      'commit nginx:1.27 to prod',
      'wait until myapp-prod is synced and healthy',
      'watch myapp-prod stay healthy for 5s',
    ]);
    const timers = events.filter((e) => e.timerStartedEventAttributes).map((e) => summary(e.userMetadata));
    expect(timers).toEqual(['approval gate approval: wait 3600s for 1 approval(s) from alice']);
  });
});
