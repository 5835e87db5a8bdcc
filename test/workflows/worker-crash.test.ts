// A worker process killed in the middle of a stage: another worker picks the promotion up, the wait resumes,
// and no stage is committed twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, type PromotionEnvironment } from '../support/promotion-environment.js';

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createPromotionEnvironment();
}, 120_000);
afterAll(async () => env?.close());

describe('worker crash', () => {
  it('SIGKILL while waiting for Argo CD: the promotion resumes on another worker with exactly one commit per stage', async () => {
    const first = env.spawnWorker();
    const handle = await env.promote({ app: 'myapp', image: 'nginx:1.40.0' });
    // Hold the controller once dev is done, so staging's wait is in flight when the worker dies.
    for (;;) {
      const status = await env.waitForState(handle.workflowId, ['promoting', 'awaiting-approval'], 90_000);
      if (status.stages.find((s) => s.stage === 'staging-promote')?.status === 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    env.sim.faults.pauseController(true);
    const stagingCommit = async () => (await promotionCommits(env, handle.workflowId)).filter((c) => c.stage === 'staging-promote');
    for (let i = 0; i < 100 && (await stagingCommit()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stagingCommit()).toHaveLength(1);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    env.spawnWorker();
    env.sim.faults.pauseController(false);
    await env.waitForState(handle.workflowId, ['awaiting-approval'], 120_000);
    await handle.signal(approveSignal, { approver: 'alice' });
    await handle.signal(approveSignal, { approver: 'bob' });
    const result = await handle.result();
    expect(result.state).toBe('promoted');
    expect((await promotionCommits(env, handle.workflowId)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote']);
    expect(env.deployedImage('staging')).toBe('nginx:1.40.0');
    expect(env.deployedImage('prod')).toBe('nginx:1.40.0');
  }, 240_000);
});
