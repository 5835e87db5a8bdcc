// The approval gate's endings other than approval: expiry, and a newer promotion superseding an older one —
// decided by the app's lane workflow, so it holds across worker processes (two are running here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneWorkflowId } from '../../src/workflows/workflow-ids.js';
import { approveSignal } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createPromotionEnvironment({
    pipeline: `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice, bob], required: 1, timeout: 20s }
        soak: 0s
`,
  });
  env.spawnWorker();
  env.spawnWorker();
}, 120_000);
afterAll(async () => env?.close());

describe('approval gate', () => {
  it('expires after its timeout and leaves prod untouched; a late approval is refused', async () => {
    const handle = await env.promote({ app: 'myapp', image: 'nginx:1.30.0' });
    const result = await handle.result();
    expect(result.state).toBe('expired');
    expect(result.status.stages.find((s) => s.stage === 'prod-promote')?.status).toBe('skipped');
    expect(env.deployedImage('prod')).toBe('nginx:latest');
    await expect(handle.signal(approveSignal, { approver: 'alice' })).rejects.toThrow(/workflow execution already completed/i);
    expect((await promotionCommits(env, handle.workflowId)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote']);
  });

  it('a newer promotion of the same app supersedes one still waiting for approval', async () => {
    const older = await env.promote({ app: 'myapp', image: 'nginx:1.31.0' });
    await env.waitForState(older.workflowId, ['awaiting-approval']);
    const newer = await env.promote({ app: 'myapp', image: 'nginx:1.32.0' });

    const olderResult = await older.result();
    await recordHistory(env, older.workflowId, 'superseded');
    expect(olderResult.state).toBe('superseded');
    expect(olderResult.status.stages.find((s) => s.stage === 'approval')?.failure).toBe(`superseded by ${newer.workflowId} in prod`);
    await env.waitForState(newer.workflowId, ['awaiting-approval']);
    expect(env.deployedImage('prod')).toBe('nginx:latest');

    await newer.signal(approveSignal, { approver: 'bob' });
    expect((await newer.result()).state).toBe('promoted');
    const lane = env.client.workflow.getHandle(laneWorkflowId('myapp', env.taskQueue));
    await recordHistory(env, lane.workflowId, 'app-lane');
    expect(env.deployedImage('prod')).toBe('nginx:1.32.0');
    expect((await promotionCommits(env, older.workflowId)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote']);
  });
});
