// What one activity costs Temporal itself on this machine and server: a chain of no-op activities, queued and
// local, timed end to end. Used to say how much of the workflow's extra time is Temporal's per-step round trip.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Temporal } from './lab.js';
import { median } from './table.js';

const WORKFLOWS = fileURLToPath(new URL('./workflows/noop-chain.ts', import.meta.url));

export interface TemporalFloor {
  /** Median ms per step of a chain of queued no-op activities (one workflow task and one activity task each). */
  queuedMs: number;
  /** The same for local activities. */
  localMs: number;
}

export async function measureTemporalFloor(temporal: Temporal, steps = 20, reps = 3): Promise<TemporalFloor> {
  const connection = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = `bench-noop-${Date.now()}`;
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: WORKFLOWS, activities: { async noop() {} } });
  const per: Record<'queued' | 'local', number[]> = { queued: [], local: [] };
  try {
    await worker.runUntil(async () => {
      for (let rep = 0; rep < reps; rep++) {
        for (const kind of ['queued', 'local'] as const) {
          const started = performance.now();
          await temporal.client.workflow.execute('noopChain', { taskQueue, workflowId: `${taskQueue}-${kind}-${rep}`, args: [steps, kind] });
          per[kind].push((performance.now() - started) / steps);
        }
      }
    });
  } finally {
    await connection.close();
  }
  return { queuedMs: median(per.queued), localMs: median(per.local) };
}
