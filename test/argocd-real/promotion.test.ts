// The promotion end to end against the real Argo CD: dev, staging, two approvals, prod, soak; and a rejection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal, rejectSignal } from '../../src/workflows/messages.js';
import { createRealPromotionEnvironment, liveImage, livePods, promotionCommits, type RealPromotionEnvironment } from './environment.js';

const APP = 'lane-happy';
let env: RealPromotionEnvironment;

beforeAll(async () => {
  env = await createRealPromotionEnvironment(APP);
});
afterAll(async () => env?.close());

describe('promotion against a real Argo CD', () => {
  it('takes an image from dev to verified prod after two approvals; Argo CD deployed each commit', async () => {
    const handle = await env.promote({ image: 'nginx:1.25.1' });
    const waiting = await env.waitForState(handle.workflowId, ['awaiting-approval']);
    expect(waiting.stages.find((s) => s.stage === 'dev-sync')).toMatchObject({ status: 'succeeded', previousImage: 'nginx:1.19' });
    expect(await liveImage('dev', APP)).toBe('nginx:1.25.1');
    expect(await liveImage('staging', APP)).toBe('nginx:1.25.1');
    expect(await liveImage('prod', APP)).toBe('nginx:latest');

    await handle.signal(approveSignal, { approver: 'alice', comment: 'looks good' });
    await handle.signal(approveSignal, { approver: 'bob' });
    const result = await handle.result();
    expect(result.state).toBe('promoted');
    expect(result.status.stages.map((s) => [s.stage, s.status])).toEqual([
      ['dev-sync', 'succeeded'],
      ['staging-promote', 'succeeded'],
      ['approval', 'succeeded'],
      ['prod-promote', 'succeeded'],
      ['verify-health', 'succeeded'],
    ]);
    const commits = await promotionCommits(env.repo, handle.workflowId);
    expect(commits.map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote']);
    const prod = result.status.stages.find((s) => s.stage === 'prod-promote');
    expect(prod?.argocdRevision).toBe(commits[2]!.sha);
    const live = await env.argocd.getApplication(`${APP}-prod`, { project: 'default' });
    expect(live.status?.operationState?.syncResult?.revision).toBe(commits[2]!.sha);
    expect(live.status?.health?.status).toBe('Healthy');
    const pods = await livePods('prod', APP);
    expect(pods.map((p) => p.spec.containers[0].image)).toEqual(['nginx:1.25.1', 'nginx:1.25.1', 'nginx:1.25.1']);
  });

  it('a rejection ends the promotion with prod untouched', async () => {
    const handle = await env.promote({ image: 'nginx:1.26.0' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    const prodBefore = await liveImage('prod', APP);
    await handle.signal(rejectSignal, { approver: 'carol', comment: 'not this week' });
    const result = await handle.result();
    expect(result.state).toBe('rejected');
    expect(result.status.rejections).toMatchObject([{ approver: 'carol', comment: 'not this week' }]);
    expect(await liveImage('prod', APP)).toBe(prodBefore);
    expect(await liveImage('staging', APP)).toBe('nginx:1.26.0');
    expect((await promotionCommits(env.repo, handle.workflowId)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote']);
  });
});
