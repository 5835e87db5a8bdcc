// One real Argo CD stack per lane run (src/stack/argocd-real/harness.ts), shared by the lane's test files.
// It carries a local account `limited` whose token only may read one app, for the RBAC tests.
import 'vitest';
import type { TestProject } from 'vitest/node';
import { ensure as ensureArgoCDReal } from '../../scripts/ensure-argocd-real.js';
import { ensure as ensureRedisServer } from '../../scripts/ensure-redis-server.js';
import { startArgoCDReal, type ArgoCDReal } from '../../src/stack/argocd-real/harness.js';

export const LIMITED_ACCOUNT = 'limited';
/** argocd-rbac-cm policy.csv: `limited` may get the app `rbac-readable` of project default, nothing else. */
export const LIMITED_POLICY = `p, ${LIMITED_ACCOUNT}, applications, get, default/rbac-readable, allow\n`;

let stack: ArgoCDReal | undefined;

export default async function setup(project: TestProject) {
  const log = (line: string) => console.log(line);
  const binDir = await ensureArgoCDReal({ log });
  const redisServer = await ensureRedisServer({ log });
  const started = Date.now();
  stack = await startArgoCDReal({
    binDir,
    redisServer,
    accounts: { [LIMITED_ACCOUNT]: 'apiKey' },
    rbacPolicy: LIMITED_POLICY,
    keepDir: process.env.PROMENADE_KEEP_ARGOCD_REAL === '1',
    log: process.env.PROMENADE_TEST_VERBOSE ? (line) => console.log(line) : undefined,
  });
  console.log(`[argocd-real] stack up in ${((Date.now() - started) / 1000).toFixed(1)}s at ${stack.url} (files in ${stack.dir})`);
  project.provide('argocdRealUrl', stack.url);
  project.provide('argocdRealAdminPassword', stack.adminPassword);
  project.provide('argocdRealKube', { server: stack.kubeServer, token: stack.kubeToken, ca: stack.kubeCa });
  project.provide('argocdRealDir', stack.dir);
  return async () => {
    await stack?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    argocdRealUrl: string;
    argocdRealAdminPassword: string;
    argocdRealKube: { server: string; token: string; ca: string };
    argocdRealDir: string;
  }
}
