import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite runs on its own: npm run test:faults (vitest.faults.config.ts).
    exclude: ['test/faults/**', '**/node_modules/**'],
    // The Temporal core bridge is a native module that does not cope with worker threads.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
