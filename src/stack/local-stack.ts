// The whole local stack of `npm start`, in one process tree: Temporal dev server (SQLite under the state dir,
// Web UI), the seeded GitOps repository, the Argo CD simulator with the three seed Applications, and a worker.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArgoCDSimulator } from '../argocd-sim/index.js';
import { assertArgoCDRealBuilt, startArgoCDReal } from './argocd-real/harness.js';
import { startDevServer, stopProcessGroup, type DevServer } from './dev-server.js';
import { requirePortFree } from './ports.js';
import { ArgoCDClient } from '../argocd/client.js';
import type { Application } from '../argocd/types.js';
import { argocdSessionToken, installSeedApplications } from './seed-applications.js';
import { seedApplications } from '../bootstrap/seed-layout.js';
import { seedGitopsRepository } from './seed-repository.js';
import { resolveTemporalCli } from './temporal-cli.js';

export interface LocalStackOptions {
  stateDir: string;
  temporalPort: number;
  uiPort: number;
  argocdPort: number;
  host?: string;
  log?: (line: string) => void;
  /** Argo CD simulator pacing; the defaults make a demo promotion take seconds, not minutes. */
  argocd?: { reconcileIntervalMs?: number; rolloutStepMs?: number };
  /**
   * `simulator` (default) or `real`: Argo CD v3.6 on a real kube-apiserver with fake nodes (src/stack/argocd-real,
   * built once by scripts/argocd-real/build.ts). The real one starts fresh each time; its apps are re-created.
   */
  argocdKind?: ArgoCDKind;
}

export type ArgoCDKind = 'simulator' | 'real';

export function argocdKind(value: string | undefined): ArgoCDKind {
  if (value === undefined || value === '' || value === 'simulator' || value === 'sim') return 'simulator';
  if (value === 'real') return 'real';
  throw new Error(`--argocd / PROMENADE_ARGOCD must be "simulator" or "real", not ${JSON.stringify(value)}`);
}

export interface LocalStack {
  temporal: DevServer;
  repositoryUrl: string;
  argocdUrl: string;
  /** How to log in to Argo CD's UI or API (never the password itself when it was generated). */
  argocdLogin: string;
  argocdKind: ArgoCDKind;
  /** Environment a worker or CLI needs to reach this stack (includes the Argo CD token: never print it). */
  env: NodeJS.ProcessEnv;
  worker: ChildProcess;
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/promenade.js', import.meta.url));

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  const stateDir = resolve(options.stateDir);
  await mkdir(stateDir, { recursive: true });
  // Check every port before starting anything, so a clash leaves nothing half-started behind.
  await requirePortFree(options.temporalPort, 'the Temporal server', '--temporal-port or TEMPORAL_PORT', host);
  await requirePortFree(options.uiPort, 'the Temporal Web UI', '--ui-port or TEMPORAL_UI_PORT', host);
  await requirePortFree(options.argocdPort, 'Argo CD', '--argocd-port or ARGOCD_SIM_PORT', host);
  const kind = options.argocdKind ?? 'simulator';
  if (kind === 'real') await assertArgoCDRealBuilt();

  const cliPath = await resolveTemporalCli({ log });
  log(`Temporal CLI: ${cliPath}`);
  const temporal = await startDevServer({
    cliPath,
    ip: host,
    port: options.temporalPort,
    uiPort: options.uiPort,
    dbFilename: join(stateDir, 'temporal.sqlite'),
  });
  const stops: Array<() => Promise<void>> = [() => temporal.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const repo = await seedGitopsRepository(join(stateDir, 'gitops.git'));
    log(`GitOps repository: ${repo.url}${repo.created ? ' (seeded like the lab)' : ''}`);

    let argocd: { url: string; token: string; login: string };
    if (kind === 'real') {
      log('Argo CD: starting the real Argo CD v3.6 on a kube-apiserver with fake nodes...');
      const real = await startArgoCDReal({ argocdPort: options.argocdPort, log });
      stops.push(() => real.stop());
      argocd = { url: real.url, token: await argocdSessionToken(real.url, 'admin', real.adminPassword), login: `admin / the password in ${join(real.dir, 'admin-password')}` };
    } else {
      const adminPassword = process.env.ARGOCD_SIM_ADMIN_PASSWORD ?? 'admin';
      const sim = await startArgoCDSimulator({
        port: options.argocdPort,
        host,
        stateDir: join(stateDir, 'argocd'),
        adminPassword,
        reconcileIntervalMs: options.argocd?.reconcileIntervalMs ?? 10_000,
        rolloutStepMs: options.argocd?.rolloutStepMs ?? 300,
      });
      stops.push(() => sim.stop());
      argocd = { url: sim.url, token: await argocdSessionToken(sim.url, 'admin', adminPassword), login: 'admin / $ARGOCD_SIM_ADMIN_PASSWORD, default "admin"' };
    }
    const { url: argocdUrl, token } = argocd;
    log('Argo CD: installing myapp-dev, myapp-staging, myapp-prod and waiting until they are synced and healthy...');
    await installSeedApplications(new ArgoCDClient({ baseUrl: argocdUrl, token, insecure: false }), seedApplications(repo.url));

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      ARGOCD_SERVER: argocdUrl,
      ARGOCD_AUTH_TOKEN: token,
      PROMENADE_REPOSITORY: repo.url,
      // The stack's repository is a bare one on this disk: a worker serves local repositories only when told.
      PROMENADE_LOCAL_REPOSITORIES: '1',
      PROMENADE_UI_URL: temporal.uiUrl,
      PROMENADE_CACHE_DIR: join(stateDir, 'cache'),
    };
    const worker = spawn(process.execPath, [BIN, 'worker'], { env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    stops.push(() => stopProcessGroup(worker, 15_000));
    return { temporal, repositoryUrl: repo.url, argocdUrl, argocdLogin: argocd.login, argocdKind: kind, env, worker, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
