import { defineConfig } from 'vitest/config';

// The real Argo CD lane (issue 18): the same promotions against Argo CD v3.6 on a real kube-apiserver with fake
// nodes. Needs the stack built once: node --import tsx scripts/argocd-real/build.ts. One stack serves every
// file; files run one after another because they share it and the machine's cores.
export default defineConfig({
  test: {
    include: ['test/argocd-real/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts', 'test/argocd-real/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
