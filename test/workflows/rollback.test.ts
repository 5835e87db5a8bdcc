// Failures after a commit end reverted and healthy on the old image: a prod rollout that degrades, a soak
// that fails, a promotion cancelled after prod changed, and a revert with unrelated commits on top.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createPromotionEnvironment();
  await env.startWorker();
});
afterEach(() => env.sim.faults.reset());
afterAll(async () => env?.close());

async function approveBoth(workflowId: string) {
  const handle = env.client.workflow.getHandle(workflowId);
  await handle.signal(approveSignal, { approver: 'alice' });
  await handle.signal(approveSignal, { approver: 'bob' });
}

async function failureOf(workflowId: string): Promise<ApplicationFailure> {
  const err = await env.client.workflow.getHandle(workflowId).result().then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toBeInstanceOf(ApplicationFailure);
  if (process.env.PROMENADE_TEST_VERBOSE) console.log(err.cause.type, err.cause.message);
  return err.cause;
}

async function appHealth(name: string): Promise<{ sync?: string; health?: string }> {
  const app = env.sim.getApplication(name) as { status?: { sync?: { status?: string }; health?: { status?: string } } } | undefined;
  return { sync: app?.status?.sync?.status, health: app?.status?.health?.status };
}

describe('rollback', () => {
  it('a prod rollout that degrades is reverted, synced and healthy on the old image', async () => {
    const prodBefore = env.deployedImage('prod');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:7.0.0-broken' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    env.sim.faults.failImages('nginx:7.0.0-broken');
    await approveBoth(handle.workflowId);

    const failure = await failureOf(handle.workflowId);
    await recordHistory(env, handle.workflowId, 'prod-degraded-rolled-back');
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^prod-promote failed: .*Degraded.*; rolled back prod \([0-9a-f]{12}\)$/);
    expect(env.deployedImage('prod')).toBe(prodBefore);
    expect(await appHealth('myapp-prod')).toEqual({ sync: 'Synced', health: 'Healthy' });

    const commits = await promotionCommits(env, handle.workflowId);
    expect(commits.map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote', 'prod-promote-rollback']);
    const revert = commits[3];
    expect(revert.body).toContain(`Promenade-Reverts: ${commits[2].sha}`);
    const status = failure.details?.[0] as { stages: Array<{ stage: string; status: string; rollback?: { commit: string; method: string; healthy: boolean } }> };
    expect(status.stages.find((s) => s.stage === 'prod-promote')).toMatchObject({ status: 'rolled-back', rollback: { commit: revert.sha, method: 'revert', healthy: true } });
  });

  it('a soak failure after prod went healthy is reverted too, also with unrelated commits on top', async () => {
    const prodBefore = env.deployedImage('prod');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:7.1.0' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await approveBoth(handle.workflowId);
    await env.waitForState(handle.workflowId, ['verifying']);
    // Somebody else's change lands on top of our prod commit while prod is soaking.
    await env.commitFile('docs/NOTES.md', 'unrelated\n', 'Unrelated change by a human');
    env.sim.faults.failImages('nginx:7.1.0', 'crash');

    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^verify-health failed: .*; rolled back prod/);
    expect(env.deployedImage('prod')).toBe(prodBefore);
    expect(await appHealth('myapp-prod')).toEqual({ sync: 'Synced', health: 'Healthy' });
    expect(await env.git('show', 'origin/main:docs/NOTES.md')).toBe('unrelated');
    const stages = (await promotionCommits(env, handle.workflowId)).map((c) => c.stage);
    expect(stages).toEqual(['dev-sync', 'staging-promote', 'prod-promote', 'prod-promote-rollback']);
  });

  it('a promotion cancelled after prod changed still rolls prod back', async () => {
    const prodBefore = env.deployedImage('prod');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:7.2.0' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await approveBoth(handle.workflowId);
    await env.waitForState(handle.workflowId, ['verifying']);
    await handle.cancel();

    const failure = await failureOf(handle.workflowId);
    await recordHistory(env, handle.workflowId, 'cancelled-after-prod-rolled-back');
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^verify-health failed: promotion cancelled; rolled back prod/);
    expect(env.deployedImage('prod')).toBe(prodBefore);
    expect(await appHealth('myapp-prod')).toEqual({ sync: 'Synced', health: 'Healthy' });
  });
});
