import { defineConfig } from 'vitest/config';

// The fault suite: slow by nature (real faults, real waits), so it runs apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    // Most of the suite is waiting on timers and other processes, not CPU: run files side by side.
    maxWorkers: 4,
    globalSetup: ['test/global-setup.ts', 'test/faults/figures-setup.ts'],
    testTimeout: 420_000,
    hookTimeout: 180_000,
  },
});
