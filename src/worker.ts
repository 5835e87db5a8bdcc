// The worker: polls the promotion task queue, runs workflow code from ./workflows and the activities that do
// the I/O. Secrets (Argo CD token, git credentials) are read here, from the environment, and never travel
// through workflow inputs or history.
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, settingsFromEnv, type ActivitySettings } from './activities/index.js';
import { connectClient, connectWorker, temporalSettingsFromEnv } from './connection.js';
import { TASK_QUEUE } from './promotion.js';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

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
  });
}

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const temporal = temporalSettingsFromEnv(env);
  const activities = settingsFromEnv(env);
  const connection = await connectWorker(temporal);
  const client = await connectClient(temporal);
  const worker = await createPromotionWorker({
    connection,
    client,
    namespace: temporal.namespace,
    taskQueue: env.PROMENADE_TASK_QUEUE,
    activities,
    // A bundle built ahead of time (bundleWorkflowCode) saves every worker start the webpack step.
    ...(env.PROMENADE_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: env.PROMENADE_WORKFLOW_BUNDLE } } : {}),
  });
  console.log(`promenade worker polling task queue "${env.PROMENADE_TASK_QUEUE ?? TASK_QUEUE}" on ${temporal.connectionOptions.address} (namespace ${temporal.namespace})`);
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling, lets running activities finish, then resolves.
  await worker.run();
  await connection.close();
  await client.connection.close();
}
