import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertApplication, validate } from './applications.js';
import { Authenticator, type StaticToken } from './auth.js';
import { Cluster } from './cluster.js';
import { Controller } from './controller.js';
import { type FaultControl, createFaultControl } from './fault-control.js';
import { FaultState } from './faults.js';
import { GitSource } from './git-source.js';
import { StatePersistence } from './persistence.js';
import { presentApplication } from './present.js';
import { RequestLog } from './requests.js';
import { createApiServer } from './server.js';
import { ApplicationStore } from './store.js';
import type { Application } from './types.js';

export type { Application } from './types.js';
export type { FaultControl } from './fault-control.js';
export type { StaticToken, RbacPolicy } from './auth.js';
export { ADMIN_KEY_HEADER, ADMIN_PREFIX } from './admin.js';

export interface ArgoCDSimulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Persist applications, history and cluster here; a restart with the same dir resumes. */
  stateDir?: string;
  /** Password of the `admin` account; default `$ARGOCD_SIM_ADMIN_PASSWORD`, else `admin`. */
  adminPassword?: string;
  /** Static bearer tokens with RBAC policies (the admin session may do everything). */
  tokens?: StaticToken[];
  /** Periodic reconcile; Argo CD's default is 120 s plus up to 60 s jitter. Default 180000. */
  reconcileIntervalMs?: number;
  /** How long each pod takes to become ready during a rollout. Default 300. */
  rolloutStepMs?: number;
  /** A rollout with no progress for this long turns Degraded. Default 600000 (Kubernetes' 600 s). */
  progressDeadlineMs?: number;
  /** A crash-looping container's first restart back-off, doubled per restart up to 30 times it. Default 10000 (the kubelet's). */
  crashBackoffMs?: number;
  /** Sync accepted -> operationState Running. Default 200. */
  operationDelayMs?: number;
  /** Running -> applied (Succeeded/Failed). Default 300. */
  syncDurationMs?: number;
  /** Operation finished -> refresh that sets reconciledAt. Default 500. */
  postOperationRefreshMs?: number;
  /** Wait after a successful sync before self-heal re-syncs drift. Default 5000 (Argo CD's). */
  selfHealTimeoutMs?: number;
  /** How long `GET ...?refresh=` blocks before `application refresh deadline exceeded`. Default 60000. */
  refreshTimeoutMs?: number;
  /** SSE keepalive comment interval. Default 15000. */
  sseKeepaliveMs?: number;
  /** How long periodic reconciles trust a resolved branch (requested refreshes never do). Default: half the reconcile interval. */
  revisionCacheMs?: number;
  /** Applications to create at start (skipped when already present in the state dir). */
  applications?: Application[];
  /** repoURL -> local repository path, so apps can keep URLs like https://github.com/example/gitops-repo. */
  repositories?: Record<string, string>;
  /** Require `X-Sim-Admin-Key` on /sim/admin; without it only loopback callers are served. */
  adminKey?: string;
}

export interface ArgoCDSimulator {
  url: string;
  port: number;
  /** Base URL of the fault/inspection endpoint (`<url>/sim/admin`). */
  adminUrl: string;
  stop(): Promise<void>;
  createApplication(app: Application): Application;
  getApplication(name: string): Application | undefined;
  faults: FaultControl;
  cluster(): ReturnType<Cluster['snapshot']>;
  requests(): ReturnType<RequestLog['snapshot']>;
  resetRequests(): void;
}

export async function startArgoCDSimulator(opts: ArgoCDSimulatorOptions = {}): Promise<ArgoCDSimulator> {
  const reconcileIntervalMs = opts.reconcileIntervalMs ?? 180_000;
  const faultState = new FaultState();
  const store = new ApplicationStore();
  const cluster = new Cluster(
    { rolloutStepMs: opts.rolloutStepMs ?? 300, progressDeadlineMs: opts.progressDeadlineMs ?? 600_000, crashBackoffMs: opts.crashBackoffMs ?? 10_000 },
    (pod, app) => faultState.podFailure(pod, app),
  );
  const scratch = mkdtempSync(join(tmpdir(), 'argocd-sim-'));
  const git = new GitSource(join(opts.stateDir ?? scratch, 'git-cache'), opts.repositories ?? {}, opts.revisionCacheMs ?? reconcileIntervalMs / 2);
  const controller = new Controller(store, cluster, git, faultState, {
    reconcileIntervalMs,
    operationDelayMs: opts.operationDelayMs ?? 200,
    syncDurationMs: opts.syncDurationMs ?? 300,
    postOperationRefreshMs: opts.postOperationRefreshMs ?? 500,
    selfHealTimeoutMs: opts.selfHealTimeoutMs ?? 5000,
  });
  const auth = new Authenticator(opts.adminPassword ?? process.env.ARGOCD_SIM_ADMIN_PASSWORD ?? 'admin', opts.tokens ?? []);
  const requests = new RequestLog();
  const faults = createFaultControl(faultState, cluster, controller, store, git);

  const persistence = opts.stateDir ? new StatePersistence(opts.stateDir, store, cluster) : undefined;
  persistence?.load();
  for (const app of opts.applications ?? []) {
    if (!store.has(app.metadata.name)) insertApplication(store, validate(app));
  }
  persistence?.watch();
  controller.start();

  const apiContext = { store, controller, cluster, git, auth, refreshTimeoutMs: opts.refreshTimeoutMs ?? 60_000 };
  const server = createApiServer({
    api: apiContext,
    admin: { faults, cluster, requests, store, controller, adminKey: opts.adminKey },
    faults: faultState,
    requests,
    sseKeepaliveMs: opts.sseKeepaliveMs ?? 15_000,
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    adminUrl: `${url}/sim/admin`,
    faults,
    createApplication(app) {
      const valid = validate(app);
      if (store.has(valid.metadata.name)) throw new Error(`application ${valid.metadata.name} already exists`);
      const created = insertApplication(store, valid);
      controller.requestRefresh(created.metadata.name, true);
      return presentApplication(created);
    },
    getApplication(name) {
      const app = store.get(name);
      return app ? presentApplication(app) : undefined;
    },
    cluster: () => cluster.snapshot(),
    requests: () => requests.snapshot(),
    resetRequests: () => requests.reset(),
    stop() {
      stopped ??= (async () => {
        controller.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        persistence?.close();
        cluster.stop();
        store.close();
        rmSync(scratch, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
