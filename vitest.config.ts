import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite runs on its own: npm run test:faults (vitest.faults.config.ts); the real Argo CD lane too:
    // npm run test:argocd-real (vitest.argocd-real.config.ts).
    exclude: ['test/faults/**', 'test/argocd-real/**', '**/node_modules/**'],
    // The Temporal core bridge is a native module that does not cope with worker threads.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
