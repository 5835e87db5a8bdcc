// Secrets: promotions run with a recognisable Argo CD token and git password in the worker's environment, then
// every workflow history (payloads decoded), query result, error and worker log line is searched for them.
// A worker with a token Argo CD refuses (401) must not echo that token either.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { laneWorkflowId } from '../../src/workflows/workflow-ids.js';
import { approveSignal, statusQuery } from '../../src/workflows/messages.js';
import { createPromotionEnvironment, type PromotionEnvironment } from '../support/promotion-environment.js';
import { recordFigures } from './figures.js';
import { outcomeOf } from './support.js';

const ARGOCD_TOKEN = `argocd-SECRET-${randomUUID()}`;
const GIT_PASSWORD = `git-SECRET-${randomUUID()}`;
const REFUSED_TOKEN = `argocd-REFUSED-${randomUUID()}`;
const SECRETS = [ARGOCD_TOKEN, GIT_PASSWORD, REFUSED_TOKEN];

let env: PromotionEnvironment;
let worker: ChildProcess;
const logs: string[] = [];
const errors: string[] = [];
const ids: string[] = [];

function spawnWorker(token: string): Promise<ChildProcess> {
  env.workerEnv.ARGOCD_AUTH_TOKEN = token;
  env.workerEnv.PROMENADE_GIT_USERNAME = 'promenade-bot';
  env.workerEnv.PROMENADE_GIT_PASSWORD = GIT_PASSWORD;
  const child = env.spawnWorker();
  return new Promise((resolve) => {
    const capture = (d: Buffer) => {
      logs.push(String(d));
      if (String(d).includes('promenade worker polling')) resolve(child);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
  });
}

beforeAll(async () => {
  env = await createPromotionEnvironment({
    simulator: { tokens: [{ token: ARGOCD_TOKEN, subject: 'promenade', policies: [{ action: '*', object: 'default/*' }] }] },
  });
  worker = await spawnWorker(ARGOCD_TOKEN);
}, 180_000);
afterAll(async () => env?.close());

async function run(image: string, approve: boolean, before?: () => void) {
  const handle = await env.promote({ app: 'myapp', image }, `secrets-${image.replace(/[^a-z0-9.-]/g, '-')}`);
  ids.push(handle.workflowId);
  if (approve) {
    await env.waitForState(handle.workflowId, ['awaiting-approval'], 120_000);
    before?.();
    await handle.signal(approveSignal, { approver: 'alice' });
    await handle.signal(approveSignal, { approver: 'bob' });
  }
  const outcome = await outcomeOf(env, handle.workflowId);
  if (outcome.failure) errors.push(describeError(outcome.failure));
  return outcome;
}

function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; stack?: string; details?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    parts.push(String(e.message), String(e.stack), JSON.stringify(e.details ?? null));
  }
  return parts.join('\n');
}

/** A history as JSON with every payload's data decoded, so a secret inside a payload is found too. */
function readable(historyJson: string): string {
  const decoded = [...historyJson.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
  return `${historyJson}\n${decoded.join('\n')}`;
}

describe('secrets', () => {
  it('appear in no history, query result, error or log line', async () => {
    const started = Date.now();
    expect((await run('nginx:1.30.0', true)).state).toBe('promoted');
    const rolledBack = await run('nginx:1.31.0-broken', true, () => env.sim.faults.failImages('nginx:1.31.0-broken'));
    expect(rolledBack.state).toBe('rolled-back');
    env.sim.faults.reset();

    // A worker whose token Argo CD refuses.
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    worker = await spawnWorker(REFUSED_TOKEN);
    const refused = await run('nginx:1.32.0', false);
    expect(refused.failure?.message).toMatch(/Argo CD application myapp-dev: the token is missing, invalid or expired/);
    expect(refused.failure?.message).not.toContain(REFUSED_TOKEN);

    const texts: Array<[string, string]> = [];
    const workflows: string[] = [laneWorkflowId('myapp', env.taskQueue)];
    for await (const w of env.client.workflow.list({ query: `TaskQueue = "${env.taskQueue}"` })) workflows.push(w.workflowId);
    for (const id of new Set(workflows)) {
      const history = await env.client.workflow.getHandle(id).fetchHistory();
      texts.push([`history of ${id}`, readable(historyToJSON(history))]);
    }
    for (const id of ids) texts.push([`status query of ${id}`, JSON.stringify(await env.client.workflow.getHandle(id).query(statusQuery))]);
    texts.push(...errors.map((e, i): [string, string] => [`error ${i}`, e]));
    texts.push(['worker logs', logs.join('')]);

    // The scan reads what it should: decoded payloads, the failures, the worker's output.
    const all = texts.map(([, t]) => t).join('\n');
    expect(all).toContain('nginx:1.30.0');
    expect(all).toContain('Argo CD application myapp-dev');
    expect(logs.join('')).toContain('promenade worker polling');

    const leaks = texts.flatMap(([where, text]) => SECRETS.filter((s) => text.includes(s)).map((s) => `${s.split('-')[0]}-${s.split('-')[1]} in ${where}`));
    recordFigures({
      scenario: '7 Secrets',
      promotions: ids.length,
      faults: { 'crashing image': 1, 'refused token (401)': 1 },
      outcomes: { promoted: 1, 'rolled-back': 1, [refused.state]: 1 },
      duplicates: 0,
      lostUpdates: 0,
      notes: `${new Set(workflows).size} histories, ${ids.length} queries, ${errors.length} errors, ${logs.join('').split('\n').length} log lines scanned: ${leaks.length} leaks`,
      durationMs: Date.now() - started,
    });
    expect(leaks).toEqual([]);
  });
});
