// Three ways to carry one image through dev, staging and prod, timed from the first request to the last wait:
// the promotion workflow, the floor (the same git and Argo CD calls promenade's activities make, issued by a
// straight-line script) and the usual CI script (fresh clone per step, push, sync, poll every 2 s).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { ArgoCDClient } from '../src/argocd/client.js';
import { syncAndWait } from '../src/argocd/sync-and-wait.js';
import { commitChange } from '../src/git/commit.js';
import { headDeliversRevision } from '../src/git/descendant.js';
import type { WorkspaceOptions } from '../src/git/workspace.js';
import { startPromotion } from '../src/client/start-promotion.js';
import type { AppPipeline } from '../src/config/pipeline.js';
import { TRAILER_IMAGE } from '../src/git/trailers.js';
import { PROMOTION_STATE_KEY } from '../src/workflows/search-attributes.js';
import type { Lab } from './lab.js';

const exec = promisify(execFile);

export const APPROVER = 'alice';

export interface Run {
  ms: number;
  state: string;
}

/** Start, approve the moment the gate is awaited, wait for the result. */
export async function runWorkflow(client: Client, lab: Lab, app: string, image: string, workflowId: string): Promise<Run> {
  const started = performance.now();
  const handle = await startPromotion(client, { app, image, requestedBy: 'ci-bot' }, { taskQueue: lab.taskQueue, workflowId });
  const result = handle.result();
  let done = false;
  result.finally(() => (done = true)).catch(() => {});
  const gated = lab.pipeline(app).environments.some((e) => e.approval);
  if (gated) {
    // describe() is answered by the server from the run's search attributes: polling it costs the worker nothing,
    // where a status query every few milliseconds would compete with the promotion for the worker's CPU.
    for (;;) {
      if (done) break;
      const description = await handle.describe().catch(() => undefined);
      if (description?.typedSearchAttributes.get(PROMOTION_STATE_KEY) === 'awaiting-approval') {
        await handle.signal('approve', { approver: APPROVER });
        break;
      }
      await sleep(20);
    }
  }
  // A failed promotion is a result to count, not a reason to abort the scenario.
  const state = await result.then(
    (outcome) => outcome.state as string,
    (error: Error) => `failed: ${(error.cause as Error | undefined)?.message ?? error.message}`,
  );
  return { ms: performance.now() - started, state };
}

/** The floor: promenade's own commit and sync-and-wait, called in a row with nothing around them. */
export async function runFloor(
  lab: Lab,
  pipeline: AppPipeline,
  image: string,
  promotionId: string,
  workspace: WorkspaceOptions,
): Promise<Run & { commitMs: number; syncMs: number }> {
  const argocd = new ArgoCDClient(lab.settings.argocd);
  const started = performance.now();
  let commitMs = 0;
  let syncMs = 0;
  for (const [index, env] of pipeline.environments.entries()) {
    const stage = index === 0 ? `${env.name}-sync` : `${env.name}-promote`;
    const t0 = performance.now();
    const commit = await commitChange({
      repository: pipeline.repository,
      branch: pipeline.branch,
      promotionId,
      stage,
      setter: env.image,
      image,
      message: `promote ${pipeline.app} to ${env.name}: ${image}`,
      trailers: [[TRAILER_IMAGE, image], ['Requested-by', 'ci-bot']],
      workspace,
    });
    const t1 = performance.now();
    await syncAndWait(argocd, {
      application: env.argocd.application,
      project: env.argocd.project,
      revision: commit.commit,
      promotionId,
      stage,
      timeoutMs: 15 * 60_000,
      headContainsRevision: (head, ours) =>
        headDeliversRevision({ repository: pipeline.repository, branch: pipeline.branch, head, revision: ours, setter: env.image, image }, workspace),
    });
    commitMs += t1 - t0;
    syncMs += performance.now() - t1;
  }
  return { ms: performance.now() - started, state: 'promoted', commitMs, syncMs };
}

/**
 * What a CI job usually does per environment: clone the repository afresh, rewrite the image line, commit, push,
 * ask Argo CD to sync, then GET the application every 2 s until it reports the commit Synced and Healthy.
 */
export async function runCiScript(lab: Lab, pipeline: AppPipeline, image: string): Promise<Run & { requests: number }> {
  let requests = 0;
  const api = async (method: string, path: string, body?: unknown) => {
    requests++;
    const response = await fetch(`${lab.sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${lab.token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const started = performance.now();
  for (const env of pipeline.environments) {
    const dir = await mkdtemp(join(tmpdir(), 'ci-step-'));
    try {
      const git = (...args: string[]) => exec('git', ['-C', dir, '-c', 'user.name=ci', '-c', 'user.email=ci@localhost', ...args]);
      await exec('git', ['clone', '--quiet', '--branch', pipeline.branch, pipeline.repository, dir]);
      const file = join(dir, env.image.file);
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/^(\s*image:\s*).*$/m, `$1${image}`));
      await git('commit', '--quiet', '-am', `promote ${pipeline.app} to ${env.name}: ${image}`);
      await git('push', '--quiet', 'origin', `HEAD:${pipeline.branch}`);
      const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
      const name = env.argocd.application;
      const app = (await api('GET', `/api/v1/applications/${name}`)).body;
      const auto = !!app.spec?.syncPolicy?.automated;
      // An auto-synced app only accepts its branch head; a manual one is pinned to the commit just pushed.
      const sync = await api('POST', `/api/v1/applications/${name}/sync`, { name, prune: false, ...(auto ? {} : { revision: commit }) });
      if (sync.status !== 200 && !/another operation is already in progress/i.test(sync.body?.message ?? '')) {
        throw new Error(`CI script: sync of ${name} refused: ${sync.status} ${sync.body?.message}`);
      }
      for (;;) {
        await sleep(2000);
        const live = (await api('GET', `/api/v1/applications/${name}`)).body;
        const op = live.status?.operationState;
        if (
          live.status?.sync?.status === 'Synced' &&
          live.status?.sync?.revision === commit &&
          live.status?.health?.status === 'Healthy' &&
          op?.phase === 'Succeeded' &&
          op?.syncResult?.revision === commit
        ) {
          break;
        }
        if (performance.now() - started > 10 * 60_000) throw new Error(`CI script: ${name} never reached ${commit}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { ms: performance.now() - started, state: 'promoted', requests };
}
