// A real promotion environment for one test file: a bare GitOps repository seeded like the lab, the Argo CD
// simulator on fast timings, and workers on a task queue of their own against the run's real dev server.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, DefaultLogger, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { inject } from 'vitest';
import { startArgoCDSimulator, type ArgoCDSimulator, type ArgoCDSimulatorOptions } from '../../src/argocd-sim/index.js';
import type { Application } from '../../src/argocd/types.js';
import { startPromotion } from '../../src/client/start-promotion.js';
import type { PromotionInput } from '../../src/config/promotion-input.js';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';
import { seedApplications } from '../../src/bootstrap/seed-layout.js';
import { seedGitopsRepository } from '../../src/stack/seed-repository.js';
import { argocdSessionToken, installSeedApplications } from '../../src/stack/seed-applications.js';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { createPromotionWorker, workflowsPath } from '../../src/worker.js';
import type { ActivitySettings } from '../../src/activities/index.js';
import type { SyncTuning } from '../../src/argocd/sync-and-wait.js';

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/promenade.js', import.meta.url));

export const FAST_SIMULATOR: ArgoCDSimulatorOptions = {
  reconcileIntervalMs: 2000,
  rolloutStepMs: 40,
  progressDeadlineMs: 1500,
  operationDelayMs: 50,
  syncDurationMs: 100,
  postOperationRefreshMs: 150,
  selfHealTimeoutMs: 500,
};

export const FAST_SYNC: Partial<SyncTuning> = { autoSyncGraceMs: 3000, pollFallbackMs: 2000, hardRefreshAfterMs: 500, hardRefreshEveryMs: 2000, progressEveryMs: 1000 };

/** The lab's pipeline with test-sized waits: two of three approvers, a short soak. */
/** The lab's pipeline for `myapp` with a test-sized gate before prod and a short soak. */
export function labPipeline(gate: { approvers: string[]; required: number; timeout: string; soak: string }): string {
  return `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [${gate.approvers.join(', ')}], required: ${gate.required}, timeout: ${gate.timeout} }
        soak: ${gate.soak}
`;
}

/** Two of three approvers, a short soak. */
export const TEST_PIPELINE = labPipeline({ approvers: ['alice', 'bob', 'carol'], required: 2, timeout: '30s', soak: '4s' });

export interface PromotionEnvironment {
  root: string;
  repositoryUrl: string;
  sim: ArgoCDSimulator;
  client: Client;
  taskQueue: string;
  argocdToken: string;
  settings: ActivitySettings;
  /** Environment for a worker process of this test (`promenade worker`). */
  workerEnv: NodeJS.ProcessEnv;
  startWorker(): Promise<Worker>;
  spawnWorker(): ChildProcess;
  promote(input: Omit<PromotionInput, 'requestedBy'> & { requestedBy?: string }, workflowId?: string): ReturnType<typeof startPromotion>;
  waitForState(workflowId: string, states: PromotionStatus['state'][], timeoutMs?: number): Promise<PromotionStatus>;
  git(...args: string[]): Promise<string>;
  commitFile(path: string, content: string, message: string): Promise<string>;
  deployedImage(namespace: string, name?: string): string | undefined;
  close(): Promise<void>;
}

let bundle: Promise<WorkflowBundle> | undefined;
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  return bundle;
}

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(process.env.PROMENADE_TEST_VERBOSE ? 'INFO' : 'ERROR') });
}

export interface PromotionEnvironmentOptions {
  pipeline?: string;
  simulator?: ArgoCDSimulatorOptions;
  /** Argo CD Applications to install instead of the seed's three; repoURL is replaced by the test repository. */
  applications?: Application[];
  /** Runs after the repository is seeded and before Argo CD sees it (add manifests with e.git). */
  beforeApplications?: (env: { root: string; git: (...args: string[]) => Promise<string> }) => Promise<void>;
  /** A Temporal server of the test's own (e.g. one it restarts) instead of the run's shared dev server. */
  temporalAddress?: string;
}

export async function createPromotionEnvironment(options: PromotionEnvironmentOptions = {}): Promise<PromotionEnvironment> {
  quietRuntime();
  const root = await mkdtemp(join(tmpdir(), 'promenade-test-'));
  const bare = join(root, 'gitops.git');
  const { url: repositoryUrl } = await seedGitopsRepository(bare);
  const work = join(root, 'work');
  const git = async (...args: string[]) => (await exec('git', ['-C', work, '-c', 'user.name=tester', '-c', 'user.email=tester@example.com', ...args])).stdout.trim();
  await exec('git', ['clone', '--quiet', repositoryUrl, work]);
  const commitFile = async (path: string, content: string, message: string) => {
    await git('pull', '--quiet', '--rebase');
    const full = join(work, path);
    await import('node:fs/promises').then((fs) => fs.mkdir(join(full, '..'), { recursive: true }));
    await writeFile(full, content);
    await git('add', path);
    await git('commit', '--quiet', '-m', message);
    await git('push', '--quiet', 'origin', 'HEAD:main');
    return git('rev-parse', 'HEAD');
  };
  await commitFile('promenade.yaml', options.pipeline ?? TEST_PIPELINE, 'Test pipeline');
  await options.beforeApplications?.({ root, git });

  const applications: Application[] =
    options.applications?.map((app) => ({ ...app, spec: { ...app.spec, source: { ...app.spec.source, repoURL: repositoryUrl } } })) ?? seedApplications(repositoryUrl);
  const sim = await startArgoCDSimulator({ ...FAST_SIMULATOR, ...options.simulator });
  const argocdToken = await argocdSessionToken(sim.url, 'admin', 'admin');
  await installSeedApplications(new ArgoCDClient({ baseUrl: sim.url, token: argocdToken, insecure: false }), applications);

  const address = options.temporalAddress ?? inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `test-${randomUUID()}`;
  const cacheDir = join(root, 'worker-cache');
  const settings: ActivitySettings = {
    defaultRepository: repositoryUrl,
    localRepositories: true,
    configBranch: 'main',
    argocd: { baseUrl: sim.url, token: argocdToken, insecure: false },
    git: { cacheDir: join(cacheDir, 'repos') },
    syncTimeoutMs: 60_000,
    syncTuning: FAST_SYNC,
  };
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    PROMENADE_TASK_QUEUE: taskQueue,
    PROMENADE_REPOSITORY: repositoryUrl,
    PROMENADE_LOCAL_REPOSITORIES: '1',
    ARGOCD_SERVER: sim.url,
    ARGOCD_AUTH_TOKEN: argocdToken,
    PROMENADE_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
  };

  const workers: Array<{ worker: Worker; running: Promise<void>; connection: NativeConnection }> = [];
  const children: ChildProcess[] = [];

  const env: PromotionEnvironment = {
    root,
    repositoryUrl,
    sim,
    client,
    taskQueue,
    argocdToken,
    settings,
    workerEnv,
    async startWorker() {
      const workerConnection = await NativeConnection.connect({ address });
      const worker = await createPromotionWorker({
        connection: workerConnection,
        client,
        namespace: 'default',
        taskQueue,
        activities: settings,
        workflowBundle: await workflowBundle(),
      });
      workers.push({ worker, running: worker.run(), connection: workerConnection });
      return worker;
    },
    spawnWorker() {
      const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...workerEnv, PROMENADE_CACHE_DIR: join(root, `proc-cache-${children.length}`) }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr?.on('data', (d) => process.env.PROMENADE_TEST_VERBOSE && process.stderr.write(d));
      child.stdout?.on('data', (d) => process.env.PROMENADE_TEST_VERBOSE && process.stdout.write(d));
      children.push(child);
      return child;
    },
    promote(input, workflowId) {
      return startPromotion(client, { requestedBy: 'ci-bot', ...input }, { taskQueue, workflowId: workflowId ?? `test-${input.app}-${randomUUID()}` });
    },
    async waitForState(workflowId, states, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: PromotionStatus | undefined;
      for (;;) {
        try {
          last = await client.workflow.getHandle(workflowId).query(statusQuery);
          if (states.includes(last.state)) return last;
        } catch {
          /* not started yet */
        }
        if (Date.now() > deadline) throw new Error(`promotion ${workflowId} did not reach ${states.join('|')}; last: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    git,
    commitFile,
    deployedImage(namespace, name = 'myapp') {
      const snapshot = sim.cluster() as { deployments: Array<{ namespace: string; name: string; images: string[] }> };
      return snapshot.deployments.find((d) => d.namespace === namespace && d.name === name)?.images[0];
    },
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      for (const { worker, running, connection: c } of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => {});
        await c.close();
      }
      await connection.close();
      await sim.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return env;
}

/** Commits on the remote's main that carry a promenade trailer, oldest first: "<stage> <image>". */
export async function promotionCommits(env: PromotionEnvironment, promotionId: string): Promise<Array<{ sha: string; stage: string; subject: string; body: string }>> {
  await env.git('fetch', '--quiet', 'origin');
  const out = await env.git('log', '--reverse', '--format=%H%x1f%s%x1f%(trailers:key=Promenade-Stage,valueonly)%x1f%B%x1e', `--grep=Promenade-Promotion: ${promotionId}`, '--fixed-strings', 'origin/main');
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha, subject, stage, body] = r.split('\x1f');
      return { sha, subject, stage: stage.trim(), body };
    });
}

/**
 * Saves a finished run's history for the replay tests when PROMENADE_RECORD_HISTORIES=1. Recorded histories are
 * committed: a workflow change that would break running promotions then fails replay in CI.
 */
export async function recordHistory(env: PromotionEnvironment, workflowId: string, name: string): Promise<void> {
  if (process.env.PROMENADE_RECORD_HISTORIES !== '1') return;
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const dir = fileURLToPath(new URL('../workflows/histories/', import.meta.url));
  await writeFile(join(dir, `${name}.json`), historyToJSON(history));
}
