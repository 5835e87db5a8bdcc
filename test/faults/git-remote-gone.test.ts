// Scenario 4, continued: the remote gone for good ends the stage in a clear failure after the bounded retries
// (about a minute and a half), with nothing half-applied. Its own file so that wait runs beside the others.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal } from '../../src/workflows/messages.js';
import type { PromotionEnvironment } from '../support/promotion-environment.js';
import { recordFigures } from './figures.js';
import { createServicesEnvironment, outcomeOf } from './support.js';

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createServicesEnvironment(
    ['g-gone'],
    [
      { name: 'dev', automated: true },
      { name: 'staging', automated: false, pipeline: '{ name: staging, approval: { approvers: [alice], required: 1, timeout: 10m }, soak: 0s }' },
    ],
  );
  await env.startWorker();
}, 180_000);
afterAll(async () => env?.close());

describe('git trouble: remote gone', () => {
  it('the remote gone for good: retried a bounded number of times, then a clear failure', async () => {
    const started = Date.now();
    const handle = await env.promote({ app: 'g-gone', image: 'registry.example.com/g-gone:4.3.0' });
    await env.waitForState(handle.workflowId, ['awaiting-approval'], 120_000);
    const bare = join(env.root, 'gitops.git');
    await rename(bare, `${bare}.gone`);
    await handle.signal(approveSignal, { approver: 'alice' });
    const outcome = await outcomeOf(env, handle.workflowId);
    const description = await handle.describe();
    recordFigures({
      scenario: '4b Git remote gone for good',
      promotions: 1,
      faults: { 'remote removed': 1 },
      outcomes: { [outcome.state]: 1 },
      duplicates: 0,
      lostUpdates: 0,
      notes: `failed after ${Math.round((Date.now() - started) / 1000)} s`,
      durationMs: Date.now() - started,
    });
    expect(outcome.state).toBe('failed');
    expect(outcome.failure?.message).toMatch(/^staging-promote failed: git \w+ of file:\/\/.*gitops\.git failed: .*; nothing to roll back$/);
    expect(description.status.name).toBe('FAILED');
    await rename(`${bare}.gone`, bare);
    expect(await env.git('ls-remote', 'origin', 'refs/heads/main')).toBeTruthy();
    expect((await env.git('log', '--format=%s', 'origin/main')).split('\n').filter((s) => s.includes('to staging'))).toEqual([]);
  }, 420_000);
});
