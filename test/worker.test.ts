import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNING, workerTuningFromEnv } from '../src/worker.js';

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
