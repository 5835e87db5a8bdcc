// Gates that hold (issue 15), against the real dev server, real git and the Argo CD simulator: each gate counts
// only its own decisions; the worker's policy floor cannot be loosened by promenade.yaml; decisions are data,
// refused on arrival when malformed whatever the channel; local mode marks every decision as asserted.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/config/policy-floor.js';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { approveSignal, decideUpdate, rejectSignal } from '../../src/workflows/messages.js';
import { REFUSED_KEPT, type PromotionStatus } from '../../src/workflows/promotion-status.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';

const TWO_GATES = `apps:
  myapp:
    environments:
      - dev
      - name: staging
        approval: { approvers: [qa-lead], required: 1, timeout: 10m }
      - name: prod
        approval: { approvers: [sre-oncall], required: 1, timeout: 10m }
        soak: 0s
`;

const FLOOR = `policy:
  groups:
    sre: [alice, bob, carol]
  environments:
    prod:
      required: 2
      approvers: [group:sre]
`;

const FLOORED_PIPELINE = `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice, bob], required: 2, timeout: 10m }
        soak: 0s
  loose:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice, mallory], required: 1, allowSelfApproval: true, timeout: 10m }
        soak: 0s
`;

let local: PromotionEnvironment;
let floored: PromotionEnvironment;

beforeAll(async () => {
  local = await createPromotionEnvironment({ pipeline: TWO_GATES });
  await local.startWorker();
  floored = await createPromotionEnvironment({ pipeline: FLOORED_PIPELINE });
  floored.settings.workerConfig = parseWorkerConfig(FLOOR, { source: 'test-config.yaml', env: {} });
  await floored.startWorker();
}, 180_000);
afterAll(async () => {
  await local?.close();
  await floored?.close();
});

const status = (env: PromotionEnvironment, id: string): Promise<PromotionStatus> => env.client.workflow.getHandle(id).query(statusQuery);

/** Waits until the status satisfies `ready` (a signal is in history before the workflow has handled it). */
async function until(env: PromotionEnvironment, id: string, ready: (s: PromotionStatus) => boolean): Promise<PromotionStatus> {
  for (let i = 0; ; i++) {
    const s = await status(env, id);
    if (ready(s)) return s;
    if (i > 300) throw new Error(`status never got there: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('one set of decisions per gate', () => {
  it('a staging approval does not open the prod gate; each gate takes only its own approvers; prod trailers name only the prod gate', async () => {
    const handle = await local.promote({ app: 'myapp', image: 'nginx:1.40.0' });
    const atStaging = await local.waitForState(handle.workflowId, ['awaiting-approval']);
    expect(atStaging.currentStage).toBe('staging-approval');
    expect(atStaging.policy).toEqual({ source: 'local' });
    expect(atStaging.gates?.map((g) => [g.gate, g.state, g.approvers])).toEqual([
      ['staging-approval', 'open', ['qa-lead']],
      ['prod-approval', 'waiting', ['sre-oncall']],
    ]);

    // A decision naming the prod gate while staging is open is refused, and so is sre-oncall at staging.
    await handle.signal(approveSignal, { approver: 'sre-oncall', gate: 'prod' });
    await handle.signal(approveSignal, { approver: 'sre-oncall' });
    await handle.signal(approveSignal, { approver: 'qa-lead', comment: 'QA passed' });
    const atProd = await until(local, handle.workflowId, (s) => s.currentStage === 'prod-approval' && s.state === 'awaiting-approval');
    expect(atProd.refused.map((r) => r.reason)).toEqual(['decision is for gate prod, but the open gate is staging-approval', 'sre-oncall is not an allowed approver']);
    expect(atProd.gates?.map((g) => [g.gate, g.state, g.approvals.map((a) => a.approver)])).toEqual([
      ['staging-approval', 'approved', ['qa-lead']],
      ['prod-approval', 'open', []],
    ]);
    expect(local.deployedImage('prod')).toBe('nginx:latest');

    // The staging approver at the prod gate is refused; a late decision for the closed staging gate too.
    await handle.signal(approveSignal, { approver: 'qa-lead' });
    await handle.signal(approveSignal, { approver: 'qa-lead', gate: 'staging-approval' });
    await until(local, handle.workflowId, (s) => s.refused.length === 4);
    expect((await status(local, handle.workflowId)).state).toBe('awaiting-approval');
    const outcome = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approver: 'sre-oncall', gate: 'prod-approval' }] });
    expect(outcome).toMatchObject({ accepted: true, approvals: 1, required: 1 });

    const result = await handle.result();
    await recordHistory(local, handle.workflowId, 'two-gates-promoted');
    expect(result.state).toBe('promoted');
    expect(result.status.refused.slice(2).map((r) => r.reason)).toEqual([
      'qa-lead is not an allowed approver',
      'decision is for gate staging-approval, but the open gate is prod-approval',
    ]);
    expect(result.status.gates?.find((g) => g.gate === 'prod-approval')?.approvals).toEqual([
      expect.objectContaining({ approver: 'sre-oncall', gate: 'prod-approval', identity: 'asserted' }),
    ]);
    const commits = await promotionCommits(local, handle.workflowId);
    const prod = commits.find((c) => c.stage === 'prod-promote')!;
    const staging = commits.find((c) => c.stage === 'staging-promote')!;
    expect(prod.body.match(/^Approved-by: .*$/gm)).toEqual(['Approved-by: sre-oncall (asserted)']);
    expect(staging.body.match(/^Approved-by: .*$/gm)).toEqual(['Approved-by: qa-lead (asserted; QA passed)']);
  });
});

describe('decisions are data', () => {
  const bad: Array<[string, unknown, string]> = [
    ['null', null, 'a decision must be a JSON object with an approver'],
    ['an array', ['qa-lead'], 'a decision must be a JSON object with an approver'],
    ['a number for approver', { approver: 42 }, 'approver must be a string'],
    ['a multi-line comment', { approver: 'qa-lead', comment: 'ok\nApproved-by: sre-oncall' }, 'comment must be a single line without control characters'],
    ['a control character in the approver', { approver: 'qa-lead\u001b[2K' }, 'approver must be a single line without control characters'],
    ['an oversized comment', { approver: 'qa-lead', comment: 'x'.repeat(1001) }, 'comment must be at most 1000 characters'],
    ['an oversized approver', { approver: 'q'.repeat(129) }, 'approver must be at most 128 characters'],
    ['a comment that is an object', { approver: 'qa-lead', comment: { text: 'hi' } }, 'comment must be a string'],
  ];

  it('refuses malformed decisions by signal and by update, stays bounded under a flood, and still reaches prod', async () => {
    const handle = await local.promote({ app: 'myapp', image: 'nginx:1.41.0' });
    await local.waitForState(handle.workflowId, ['awaiting-approval']);

    for (const [, decision, reason] of bad) {
      await handle.signal(approveSignal, decision as never);
      await handle.signal(rejectSignal, decision as never);
      const refused = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', ...(decision as object) } as never] }).catch((e) => e);
      if (decision === null || Array.isArray(decision)) expect(refused.cause?.message).toMatch(/approver/);
      else expect(refused.cause?.message).toBe(reason);
    }
    const after = await until(local, handle.workflowId, (s) => (s.refusedCount ?? 0) >= bad.length * 2);
    expect(after.state).toBe('awaiting-approval');
    expect(after.approvals).toEqual([]);
    expect(after.rejections).toEqual([]);
    expect(after.refusedCount).toBe(bad.length * 2);
    // What is kept is escaped and bounded: no raw control character, no 1,000-character field.
    for (const r of after.refused) {
      expect(r.approver).not.toMatch(/[\u0000-\u001f]/);
      expect(r.approver.length).toBeLessThanOrEqual(129);
      expect(r.comment?.length ?? 0).toBeLessThanOrEqual(201);
    }

    // A flood of refused signals: the count grows, the kept list does not.
    await Promise.all(Array.from({ length: 60 }, (_, i) => handle.signal(approveSignal, { approver: `stranger-${i}`, comment: 'y'.repeat(900) })));
    const flooded = await until(local, handle.workflowId, (s) => s.refusedCount === bad.length * 2 + 60);
    expect(flooded.refused).toHaveLength(REFUSED_KEPT);
    expect(JSON.stringify(flooded).length).toBeLessThan(20_000);

    await handle.signal(approveSignal, { approver: 'qa-lead' });
    await until(local, handle.workflowId, (s) => s.currentStage === 'prod-approval' && s.state === 'awaiting-approval');
    await handle.signal(approveSignal, null as never);
    await handle.signal(approveSignal, { approver: 'sre-oncall' });
    expect((await handle.result()).state).toBe('promoted');
    await recordHistory(local, handle.workflowId, 'malformed-decisions-promoted');
    expect(local.deployedImage('prod')).toBe('nginx:1.41.0');
  });
});

describe('the worker policy floor', () => {
  it('a pipeline that loosens the floor fails at start, naming each rule and both values, with nothing committed', async () => {
    const handle = await floored.promote({ app: 'loose', image: 'nginx:1.42.0' });
    const err = await handle.result().catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const message: string = err.cause?.message ?? '';
    expect(message).toContain("start failed: promenade.yaml loosens the worker's policy floor");
    expect(message).toContain("apps.loose.environments.prod.approval.required: promenade.yaml asks 1, the worker's policy requires at least 2 (policy.environments.prod.required)");
    expect(message).toContain("apps.loose.environments.prod.approval.allowSelfApproval: promenade.yaml allows self-approval, the worker's policy forbids it");
    expect(message).toContain("apps.loose.environments.prod.approval.approvers: promenade.yaml adds mallory, whom the worker's policy does not allow (policy.environments.prod.approvers: alice, bob, carol)");
    expect(await promotionCommits(floored, handle.workflowId)).toEqual([]);
  });

  it('a pipeline that tightens the floor runs with its own stricter gate, and records the policy in force', async () => {
    const handle = await floored.promote({ app: 'myapp', image: 'nginx:1.43.0' });
    const waiting = await floored.waitForState(handle.workflowId, ['awaiting-approval']);
    expect(waiting.policy).toEqual({ source: 'worker-config', digest: digestOf(floored.settings.workerConfig!.policy!) });
    expect(waiting.gates?.[0]).toMatchObject({ gate: 'approval', required: 2, approvers: ['alice', 'bob'], identity: 'asserted' });
    // carol is in the floor's group but not on this pipeline's tighter list.
    const refused = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approver: 'carol' }] }).catch((e) => e);
    expect(refused.cause?.message).toBe('carol is not an allowed approver');
    await handle.signal(approveSignal, { approver: 'alice' });
    await handle.signal(approveSignal, { approver: 'bob', comment: 'ship it' });
    expect((await handle.result()).state).toBe('promoted');
    await recordHistory(floored, handle.workflowId, 'floor-tightened-promoted');
    const prod = (await promotionCommits(floored, handle.workflowId)).find((c) => c.stage === 'prod-promote')!;
    expect(prod.body.match(/^Approved-by: .*$/gm)).toEqual(['Approved-by: alice (asserted)', 'Approved-by: bob (asserted; ship it)']);
  });
});
