// `promenade cancel` and how promote --wait reports a promotion that did not end on its own, against the run's
// Temporal dev server, a real git remote and the Argo CD simulator: cancelled before it started and at the
// approval gate (exit 13), terminated (no rollback ran, exit 7), and what cancel refuses. A cancel that has
// to roll back ends rolled-back (exit 6): test/workflows/rollback.test.ts covers that workflow path.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createPromotionEnvironment, labPipeline, type PromotionEnvironment } from '../support/promotion-environment.js';
import { expectOneLine, runCli, runInProcess } from './run-cli.js';

const PIPELINE = labPipeline({ approvers: ['alice'], required: 1, timeout: '10m', soak: '1s' });
const tag = randomUUID().slice(0, 8);
let env: PromotionEnvironment;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  // No worker yet: the first promotion must still be waiting to start when it is cancelled.
  env = await createPromotionEnvironment({ pipeline: PIPELINE });
  cliEnv = { ...env.workerEnv, PROMENADE_UI_URL: inject('temporalUiUrl'), GITHUB_ACTOR: '', GITLAB_USER_LOGIN: '', USER: 'ci-bot' };
});
afterAll(async () => env?.close());

async function exists(id: string): Promise<void> {
  for (;;) {
    const found = await env.client.workflow.getHandle(id).describe().then(() => true, () => false);
    if (found) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('promenade cancel', () => {
  it('cancelled before it changed anything: cancel exits 0, promote --wait exits 13 `cancelled`', async () => {
    const image = `nginx:2.0.${tag}`;
    const id = `promote:myapp:${image}`;
    const before = env.deployedImage('dev');
    const promoting = runCli(['promote', '--app', 'myapp', '--image', image, '--wait'], cliEnv);
    await exists(id);
    const cancel = await runCli(['cancel', id], cliEnv);
    expect(cancel.code, cancel.stderr).toBe(EXIT.ok);
    expect(cancel.stdout.trim()).toBe(`cancel requested for ${id}: it rolls back an environment it has not finished, then ends`);
    await env.startWorker();
    const run = await promoting;
    expect(run.code, run.stderr).toBe(EXIT.cancelled);
    expect(expectOneLine(run.stderr)).toBe(`promotion ${id}: cancelled: cancelled with nothing to roll back (environments it had finished keep the new image)`);
    expect(env.deployedImage('dev')).toBe(before);

    const again = await runInProcess(['cancel', id], cliEnv);
    expect(again.code).toBe(EXIT.refused);
    expect(expectOneLine(again.stderr)).toBe(`promenade cancel: cancel refused: promotion ${id} has ended (cancelled)`);
  });

  it('cancelled at the approval gate: dev and staging were finished and keep the image; cancel --wait exits 13', async () => {
    const image = `nginx:2.1.${tag}`;
    const id = `promote:myapp:${image}`;
    const prod = env.deployedImage('prod');
    const promoting = runCli(['promote', '--app', 'myapp', '--image', image, '--wait', '--json'], cliEnv);
    await env.waitForState(id, ['awaiting-approval']);
    const cancel = await runCli(['cancel', id, '--wait'], cliEnv);
    expect(cancel.code, cancel.stderr).toBe(EXIT.cancelled);
    expect(cancel.stdout.trim().split('\n').at(-1)).toBe(`promotion ${id}: cancelled: cancelled with nothing to roll back (environments it had finished keep the new image)`);
    const run = await promoting;
    expect(run.code).toBe(EXIT.cancelled);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ workflowId: id, state: 'cancelled' });
    expect(env.deployedImage('staging')).toBe(image);
    expect(env.deployedImage('prod')).toBe(prod);
  });

  it('a terminated promotion ran no rollback: promote --wait exits 7 and says to cancel instead', async () => {
    const image = `nginx:2.2.${tag}`;
    const id = `promote:myapp:${image}`;
    const promoting = runCli(['promote', '--app', 'myapp', '--image', image, '--wait'], cliEnv);
    await env.waitForState(id, ['awaiting-approval']);
    await env.client.workflow.getHandle(id).terminate('test: terminated by hand');
    const run = await promoting;
    expect(run.code).toBe(EXIT.rollbackFailed);
    expect(expectOneLine(run.stderr)).toMatch(new RegExp(`^promotion ${id.replace(/[.]/g, '\\.')}: terminated: terminated: no rollback ran, .*cancel promotions, never terminate them\\)$`));
  });

  it('refuses what is not a promotion, and an unknown one', async () => {
    const unknown = await runInProcess(['cancel', `promote:myapp:nginx:0.0.${tag}`], cliEnv);
    expect(unknown.code).toBe(EXIT.notFound);
    // A workflow of another type (an app's lane), on a queue no worker polls: it only has to exist.
    const lane = await env.client.workflow.start('appLane', { taskQueue: `nowhere-${tag}`, workflowId: `lane-test-${tag}`, args: [] });
    try {
      const run = await runInProcess(['cancel', lane.workflowId], cliEnv);
      expect(run.code).toBe(EXIT.notFound);
      expect(expectOneLine(run.stderr)).toBe(`promenade cancel: lane-test-${tag} is not a promotion (it is a appLane workflow); \`promenade list\` shows promotions`);
    } finally {
      await lane.terminate('test done');
    }
  });
});
