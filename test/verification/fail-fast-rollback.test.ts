// End to end on the real dev server, with Kubernetes' 10-minute progress deadline in the simulator: a release whose
// pods crash-loop or cannot pull is rolled back within failFast in dev, staging and prod, and the failure names the
// pod and the reason.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, type PromotionEnvironment } from '../support/promotion-environment.js';

const PIPELINE = `apps:
  myapp:
    environments:
      - { name: dev, failFast: 2s }
      - { name: staging, failFast: 2s }
      - name: prod
        approval: { approvers: [alice], required: 1, timeout: 60s }
        soak: 2s
        failFast: 2s
`;

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createPromotionEnvironment({ pipeline: PIPELINE, simulator: { progressDeadlineMs: 600_000, crashBackoffMs: 300 } });
  await env.startWorker();
});
afterEach(() => env.sim.faults.reset());
afterAll(async () => env?.close());

async function failureOf(workflowId: string): Promise<ApplicationFailure> {
  const err = await env.client.workflow.getHandle(workflowId).result().then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toBeInstanceOf(ApplicationFailure);
  return err.cause;
}

const POD = 'myapp-[0-9a-f]{10}-[0-9a-f]{5}';

describe('fail-fast rollback', () => {
  it('dev: a crash-looping image is rolled back, naming pod and CrashLoopBackOff', async () => {
    const before = env.deployedImage('dev');
    env.sim.faults.failImages('nginx:9.1', 'crash', { app: 'myapp-dev' });
    const handle = await env.promote({ app: 'myapp', image: 'nginx:9.1' });
    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(new RegExp(`^dev-sync failed: .*failFast\\): ${POD}: CrashLoopBackOff, \\d+ restarts? \\(container myapp\\).*; rolled back dev`));
    expect(env.deployedImage('dev')).toBe(before);
  });

  it('staging: an image that cannot be pulled is rolled back, naming pod and the pull failure', async () => {
    const before = env.deployedImage('staging');
    env.sim.faults.failImages('nginx:9.2', 'pull', { app: 'myapp-staging' });
    const handle = await env.promote({ app: 'myapp', image: 'nginx:9.2' });
    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(new RegExp(`^staging-promote failed: .*failFast\\): ${POD}: (ImagePullBackOff|ErrImagePull), 0 restarts.*; rolled back staging`));
    expect(env.deployedImage('staging')).toBe(before);
  });

  it('prod: a crash-looping init container is rolled back after approval, naming pod and Init:CrashLoopBackOff', async () => {
    const before = env.deployedImage('prod');
    env.sim.faults.failImages('nginx:9.3', 'init-crash', { app: 'myapp-prod' });
    const handle = await env.promote({ app: 'myapp', image: 'nginx:9.3' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await handle.signal(approveSignal, { approver: 'alice' });
    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(new RegExp(`^prod-promote failed: .*failFast\\): ${POD}: Init:CrashLoopBackOff, \\d+ restarts?.*; rolled back prod`));
    expect(env.deployedImage('prod')).toBe(before);
  });

  it('prod: a crash loop that starts during the soak is rolled back, naming pod and CrashLoopBackOff', async () => {
    const before = env.deployedImage('prod');
    const handle = await env.promote({ app: 'myapp', image: 'nginx:9.4' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await handle.signal(approveSignal, { approver: 'alice' });
    await env.waitForState(handle.workflowId, ['verifying']);
    env.sim.faults.failImages('nginx:9.4', 'crash', { app: 'myapp-prod' });
    const failure = await failureOf(handle.workflowId);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(new RegExp(`^verify-health failed: .*${POD}: CrashLoopBackOff.*; rolled back prod`));
    expect(env.deployedImage('prod')).toBe(before);
  });
});
