// The worker: polls the promotion task queue, runs workflow code from ./workflows and the activities that do
// the I/O. Secrets (Argo CD token, git credentials) are read here, from the environment, and never travel
// through workflow inputs or history.
import { spawn } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { promenadeCacheDir } from './cache-dir.js';
import { createActivities, settingsFromEnv, type ActivitySettings } from './activities/index.js';
import { checkIdentityPrerequisites } from './activities/identity.js';
import { workerConfigFromEnv, WORKER_CONFIG_ENV } from './config/worker-config/index.js';
import { connectClient, connectWorker, temporalSettingsFromEnv } from './connection.js';
import { TASK_QUEUE } from './workflows/workflow-ids.js';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/promenade.js', import.meta.url));

/** Writes the workflow bundle to `out`, for a worker started with PROMENADE_WORKFLOW_BUNDLE=<out>. */
export async function writeWorkflowBundle(out: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  await mkdir(dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.partial`;
  await writeFile(partial, code);
  await rename(partial, out);
}

/**
 * Bundles in a short-lived child process. Webpack's peak of a few hundred MB then goes back to the system when the
 * child exits, instead of staying in the heap of a worker that runs for months.
 */
async function bundleInChild(env: NodeJS.ProcessEnv): Promise<string> {
  const out = join(promenadeCacheDir(env), 'bundles', `workflows-${process.pid}-${Date.now()}.js`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bundle', '--out', out], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`bundling the workflow code failed (exit ${code}); run \`promenade bundle --out <file>\` to see why`);
  return out;
}

export interface PromotionWorkerOptions {
  connection: NativeConnection;
  /** Client used by activities that talk to other workflows (the app lane). */
  client: Client;
  namespace: string;
  taskQueue?: string;
  activities: ActivitySettings;
  /** Pre-built workflow bundle: tests that start many workers bundle once. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  tuning?: WorkerTuning;
}

export interface WorkerTuning {
  /**
   * Workflow runs kept in memory between their tasks. A promotion spends hours parked at its approval gate; once
   * evicted, its next signal replays a history of a few dozen events, which costs milliseconds. Memory is what a
   * large cache costs: the SDK's own default (thousands, derived from the heap limit) keeps every parked run.
   */
  maxCachedWorkflows: number;
  /**
   * Activities running at once. Most of them are Argo CD waits that hold a slot while idle on the watch stream, so
   * the budget is well above the SDK's 100: a hundred promotions syncing at once must not queue their commits.
   */
  maxConcurrentActivityTaskExecutions: number;
}

export const DEFAULT_TUNING: WorkerTuning = { maxCachedWorkflows: 100, maxConcurrentActivityTaskExecutions: 300 };

const TUNING_ENV: Record<keyof WorkerTuning, string> = {
  maxCachedWorkflows: 'PROMENADE_MAX_CACHED_WORKFLOWS',
  maxConcurrentActivityTaskExecutions: 'PROMENADE_MAX_CONCURRENT_ACTIVITIES',
};

/** Worker tuning from the environment; a bad value stops the worker with the variable and the rule. */
export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const tuning = { ...DEFAULT_TUNING };
  for (const [key, name] of Object.entries(TUNING_ENV) as Array<[keyof WorkerTuning, string]>) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    // The SDK needs room for two runs in a cache it keeps at all.
    const rule = key === 'maxCachedWorkflows' ? '0 (no cache) or a whole number of at least 2' : 'a whole number of at least 1';
    const ok = /^\d+$/.test(raw) && Number.isSafeInteger(value) && (key === 'maxCachedWorkflows' ? value === 0 || value >= 2 : value >= 1);
    if (!ok) throw new Error(`${name} must be ${rule}, got ${JSON.stringify(raw)}`);
    tuning[key] = value;
  }
  return tuning;
}

export async function createPromotionWorker(options: PromotionWorkerOptions): Promise<Worker> {
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities({ ...options.activities, client: options.client, taskQueue }),
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.tuning ?? DEFAULT_TUNING),
  });
}

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const temporal = temporalSettingsFromEnv(env);
  // Read before connecting: a worker whose operators' file is wrong must not take a single task.
  const workerConfig = await workerConfigFromEnv(env);
  const activities = settingsFromEnv(env, workerConfig);
  const tuning = workerTuningFromEnv(env);
  const bundle = env.PROMENADE_WORKFLOW_BUNDLE || (await bundleInChild(env));
  const connection = await connectWorker(temporal);
  const client = await connectClient(temporal);
  await checkIdentityPrerequisites(workerConfig?.identity, client, temporal.namespace);
  const worker = await createPromotionWorker({
    connection,
    client,
    namespace: temporal.namespace,
    taskQueue: env.PROMENADE_TASK_QUEUE,
    activities,
    tuning,
    // A bundle built ahead of time (`promenade bundle`, as the Dockerfile does) saves every start the webpack step.
    workflowBundle: { codePath: bundle },
  });
  // The worker has read the code; a bundle made for this process alone is not needed any more.
  if (!env.PROMENADE_WORKFLOW_BUNDLE) await rm(bundle, { force: true });
  if (!workerConfig) console.log(`promenade worker in local mode: no ${WORKER_CONFIG_ENV} file, so the worker's operators have set no policy floor; approvers' names are accepted as asserted and marked so`);
  console.log(`promenade worker polling task queue "${env.PROMENADE_TASK_QUEUE ?? TASK_QUEUE}" on ${temporal.connectionOptions.address} (namespace ${temporal.namespace})`);
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling, lets running activities finish, then resolves.
  await worker.run();
  await connection.close();
  await client.connection.close();
}
