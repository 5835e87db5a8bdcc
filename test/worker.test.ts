import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { createPromotionWorker, DEFAULT_TUNING, workerTuningFromEnv } from '../src/worker.js';

describe('workerTuningFromEnv', () => {
  it('caps the workflow cache by default instead of the SDK heap-derived thousands', () => {
    expect(workerTuningFromEnv({})).toEqual(DEFAULT_TUNING);
    expect(DEFAULT_TUNING.maxCachedWorkflows).toBeLessThanOrEqual(200);
  });

  it('reads both knobs from the environment', () => {
    expect(workerTuningFromEnv({ PROMENADE_MAX_CACHED_WORKFLOWS: '0', PROMENADE_MAX_CONCURRENT_ACTIVITIES: ' 50 ' })).toEqual({
      maxCachedWorkflows: 0,
      maxConcurrentActivityTaskExecutions: 50,
    });
  });

  it.each([
    ['PROMENADE_MAX_CACHED_WORKFLOWS', '1', /PROMENADE_MAX_CACHED_WORKFLOWS must be 0 \(no cache\) or a whole number of at least 2, got "1"/],
    ['PROMENADE_MAX_CACHED_WORKFLOWS', '-5', /PROMENADE_MAX_CACHED_WORKFLOWS must be/],
    ['PROMENADE_MAX_CONCURRENT_ACTIVITIES', '0', /PROMENADE_MAX_CONCURRENT_ACTIVITIES must be a whole number of at least 1, got "0"/],
    ['PROMENADE_MAX_CONCURRENT_ACTIVITIES', '10k', /PROMENADE_MAX_CONCURRENT_ACTIVITIES must be a whole number/],
  ])('refuses %s=%s, naming the variable and the rule', (name, value, message) => {
    expect(() => workerTuningFromEnv({ [name]: value })).toThrow(message);
  });
});

describe('createPromotionWorker', () => {
  it('hands the tuning to the SDK worker: the defaults, or what the environment says', async () => {
    const address = inject('temporalAddress');
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection: await Connection.connect({ address }) });
    try {
      const create = (tuning?: ReturnType<typeof workerTuningFromEnv>) =>
        createPromotionWorker({
          connection,
          client,
          namespace: 'default',
          taskQueue: `tuning-${Date.now()}`,
          activities: { configBranch: 'main', argocd: { baseUrl: 'http://127.0.0.1:1', token: 'unused', insecure: false } },
          workflowBundle: { codePath: inject('workflowBundlePath') },
          ...(tuning ? { tuning } : {}),
        });
      // The SDK compiles the activity budget into a fixed-size slot supplier.
      const compiled = (worker: Awaited<ReturnType<typeof create>>) => ({
        maxCachedWorkflows: worker.options.maxCachedWorkflows,
        activitySlots: (worker.options.tuner as { activityTaskSlotSupplier: { numSlots: number } }).activityTaskSlotSupplier.numSlots,
      });
      const byDefault = await create();
      const tuned = await create(workerTuningFromEnv({ PROMENADE_MAX_CACHED_WORKFLOWS: '7', PROMENADE_MAX_CONCURRENT_ACTIVITIES: '9' }));
      // Run each for a moment so it lets go of the connection.
      await Promise.all([byDefault, tuned].map((worker) => worker.runUntil(Promise.resolve())));
      expect(compiled(byDefault)).toEqual({ maxCachedWorkflows: 100, activitySlots: 300 });
      expect(compiled(tuned)).toEqual({ maxCachedWorkflows: 7, activitySlots: 9 });
    } finally {
      await client.connection.close();
      await connection.close();
    }
  });
});
