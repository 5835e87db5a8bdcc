// The promotion end to end: real Temporal dev server, real git repositories, the Argo CD simulator.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal, decideUpdate, rejectSignal } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, promotionCommits, recordHistory, type PromotionEnvironment } from '../support/promotion-environment.js';

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createPromotionEnvironment();
  await env.startWorker();
});
afterAll(async () => env?.close());

describe('promotion workflow', () => {
  it('takes an image from dev to verified prod, gated by two distinct allowed approvers', async () => {
    const handle = await env.promote({ app: 'myapp', image: 'nginx:1.25.1', metadata: { 'ci-run': 'https://ci.example.com/run/42' } });
    const waiting = await env.waitForState(handle.workflowId, ['awaiting-approval']);
    expect(waiting.currentStage).toBe('approval');
    // What the Web UI's list shows with the query PromotionState = "awaiting-approval".
    const query = `PromotionState = "awaiting-approval" AND PromotionApp = "myapp" AND TaskQueue = "${env.taskQueue}"`;
    let listed: string[] = [];
    for (let i = 0; i < 50 && listed.length === 0; i++) {
      listed = [];
      for await (const wf of env.client.workflow.list({ query })) listed.push(wf.workflowId);
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toEqual([handle.workflowId]);
    expect(env.deployedImage('dev')).toBe('nginx:1.25.1');
    expect(env.deployedImage('staging')).toBe('nginx:1.25.1');
    expect(env.deployedImage('prod')).toBe('nginx:latest');
    expect(waiting.stages.find((s) => s.stage === 'dev-sync')).toMatchObject({ status: 'succeeded', previousImage: 'nginx:1.19' });

    // Refused and recorded: self-approval, an unlisted approver. Counted once: a duplicate.
    await handle.signal(approveSignal, { approver: 'ci-bot' });
    await handle.signal(approveSignal, { approver: 'mallory' });
    await handle.signal(approveSignal, { approver: 'alice', comment: 'looks good' });
    await handle.signal(approveSignal, { approver: 'alice' });
    const update = handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approver: 'mallory' }] });
    const refused = await update.catch((e) => e);
    expect(refused.cause?.message).toBe('mallory is not an allowed approver');
    const midway = await env.waitForState(handle.workflowId, ['awaiting-approval']);
    expect(midway.approvals.map((a) => a.approver)).toEqual(['alice']);
    expect(midway.refused.map((r) => [r.approver, r.reason])).toEqual([
      ['ci-bot', 'the requester may not approve their own promotion'],
      ['mallory', 'mallory is not an allowed approver'],
    ]);
    const outcome = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approver: 'bob' }] });
    expect(outcome).toMatchObject({ accepted: true, approvals: 2, required: 2 });

    const result = await handle.result();
    await recordHistory(env, handle.workflowId, 'promoted-with-refused-approvals');
    expect(result.state).toBe('promoted');
    expect(env.deployedImage('prod')).toBe('nginx:1.25.1');
    expect(result.status.stages.map((s) => [s.stage, s.status])).toEqual([
      ['dev-sync', 'succeeded'],
      ['staging-promote', 'succeeded'],
      ['approval', 'succeeded'],
      ['prod-promote', 'succeeded'],
      ['verify-health', 'succeeded'],
    ]);
    const commits = await promotionCommits(env, handle.workflowId);
    expect(commits.map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote', 'prod-promote']);
    const prodCommit = commits[2];
    expect(result.status.stages.find((s) => s.stage === 'prod-promote')?.commit).toBe(prodCommit.sha);
    expect(result.status.stages.find((s) => s.stage === 'prod-promote')?.argocdRevision).toBe(prodCommit.sha);
    expect(prodCommit.body).toMatch(/^Approved-by: alice \(asserted; looks good\)$/m);
    expect(prodCommit.body).toMatch(/^Approved-by: bob \(asserted\)$/m);
    expect(prodCommit.body).toMatch(/^Promenade-Meta-ci-run: https:\/\/ci\.example\.com\/run\/42$/m);

    // How the soak went is the verifyHealth activity's result, kept in the promotion's history.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyHealth');
    const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId));
    const soak = defaultPayloadConverter.fromPayload(completed!.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
    expect(soak).toMatchObject({ application: 'myapp-prod', revision: prodCommit.sha, finalHealth: 'Healthy', superseded: false });
    expect((soak as { transitions: unknown[] }).transitions.length).toBeGreaterThan(0);
  });

  it('a rejection ends the promotion without touching prod', async () => {
    const handle = await env.promote({ app: 'myapp', image: 'nginx:1.26.0' });
    await env.waitForState(handle.workflowId, ['awaiting-approval']);
    const prodBefore = env.deployedImage('prod');
    await handle.signal(rejectSignal, { approver: 'carol', comment: 'not this week' });
    const result = await handle.result();
    await recordHistory(env, handle.workflowId, 'rejected');
    expect(result.state).toBe('rejected');
    expect(result.status.rejections).toMatchObject([{ approver: 'carol', comment: 'not this week' }]);
    expect(env.deployedImage('prod')).toBe(prodBefore);
    expect((await promotionCommits(env, handle.workflowId)).map((c) => c.stage)).toEqual(['dev-sync', 'staging-promote']);
  });

  it('refuses bad input before anything is committed', async () => {
    const tip = await env.git('ls-remote', 'origin', 'refs/heads/main');
    const err = await env.promote({ app: 'myapp', image: 'Nginx:1.0' }).catch((e) => e);
    expect(err.message).toMatch(/input\.image/);
    // The workflow validates too, for callers that bypass the client.
    const handle = await env.client.workflow.start('promotion', {
      taskQueue: env.taskQueue,
      workflowId: `bad-input-${Date.now()}`,
      args: [{ app: 'myapp', image: 'nginx:1.0; rm -rf /', requestedBy: 'x' }],
    });
    const failure = await handle.result().catch((e) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause).toBeInstanceOf(ApplicationFailure);
    expect(failure.cause.type).toBe('InvalidInput');
    expect(await env.git('ls-remote', 'origin', 'refs/heads/main')).toBe(tip);
  });
});
