// A prod rollout that degrades for real: kwok's crash-loop Stage makes pods of nginx:crash-in-prod crash in namespace prod only, the
// Deployment misses its progress deadline, Argo CD reports Degraded, and promenade reverts prod.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { approveSignal } from '../../src/workflows/messages.js';
import { createRealPromotionEnvironment, liveImage, livePods, promotionCommits, syncedHealthy, waitApp, type RealPromotionEnvironment } from './environment.js';

const APP = 'lane-rollback';
let env: RealPromotionEnvironment;

/** The lab's prod Deployment with a short progress deadline, so a stuck rollout turns Degraded in seconds. */
function prodDeployment(image: string): string {
  return seedDeployment(APP, 'prod', 3, image).replace('spec:\n  replicas: 3\n', 'spec:\n  progressDeadlineSeconds: 10\n  replicas: 3\n');
}

beforeAll(async () => {
  env = await createRealPromotionEnvironment(APP, {
    prepare: async (repo) => {
      await repo.commitFile(`prod/${APP}/deployment.yaml`, prodDeployment('nginx:latest'), 'prod: a 10s progress deadline');
    },
  });
  await env.argocd.getApplication(`${APP}-prod`, { project: 'default', refresh: 'normal' });
  await env.argocd.sync(`${APP}-prod`, { project: 'default' });
  await waitApp(`${APP}-prod`, (a) => syncedHealthy(a) && a.status?.history?.length === 2, 'prod synced with the deadline');
});
afterAll(async () => env?.close());

describe('rollback against a real Argo CD', () => {
  it('a prod rollout whose pods crash-loop turns Degraded and is reverted to the old image, synced and healthy', async () => {
    const handle = await env.promote({ image: 'nginx:crash-in-prod' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    await handle.signal(approveSignal, { approver: 'alice' });
    await handle.signal(approveSignal, { approver: 'bob' });
    const err = await handle.result().then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = err.cause as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('PromotionRolledBack');
    expect(failure.message).toMatch(/^prod-promote failed: .*Degraded.*; rolled back prod \([0-9a-f]{12}\)$/);

    const commits = await promotionCommits(env.repo, handle.workflowId);
    expect(commits.map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote', 'prod-promote-rollback']);
    expect(commits[3]!.body).toContain(`Promenade-Reverts: ${commits[2]!.sha}`);
    expect(await liveImage('prod', APP)).toBe('nginx:latest');
    const prod = await waitApp(`${APP}-prod`, syncedHealthy, 'prod healthy after the revert', 30_000);
    expect(prod.status?.sync?.revision).toBe(commits[3]!.sha);
    const pods = await livePods('prod', APP);
    expect(pods.filter((p) => p.status.phase === 'Running' && p.spec.containers[0].image === 'nginx:latest')).toHaveLength(3);
  });
});
