import { failedPrecondition, invalidArgument, notFound } from './api-error.js';
import { setOperation } from './applications.js';
import { type Cluster, objectKey } from './cluster.js';
import type { Controller } from './controller.js';
import type { FaultSnapshot, FaultState, HttpFaults, ImageFailureMode } from './faults.js';
import type { GitSource } from './git-source.js';
import type { ApplicationStore } from './store.js';
import type { Manifest } from './types.js';

export interface DriftRequest {
  /** Pick the application's (first) Deployment when namespace/name are not given. */
  app?: string;
  namespace?: string;
  name?: string;
  kind?: string;
  replicas?: number;
  image?: string;
  /** Container whose image changes; the first one by default. */
  container?: string;
}

export interface ForeignOperationRequest {
  app: string;
  username?: string;
  /** How long the operation stays Running before it applies. */
  holdMs?: number;
  revision?: string;
  info?: Array<{ name: string; value: string }>;
}

/** Run-time fault switches, shared by the programmatic API and /sim/admin. */
export interface FaultControl {
  failImages(pattern: string, mode?: ImageFailureMode, opts?: { app?: string }): void;
  clearImageFailures(pattern?: string): void;
  degrade(app: string, opts?: { afterMs?: number; mode?: 'pull' | 'crash' }): void;
  recover(app: string): void;
  failNextSyncs(app: string, count?: number, message?: string): void;
  setHttpFaults(faults: HttpFaults): void;
  drift(request: DriftRequest): void;
  startForeignOperation(request: ForeignOperationRequest): Promise<void>;
  pauseController(paused: boolean): void;
  reset(): void;
  snapshot(): FaultSnapshot;
}

export function createFaultControl(
  state: FaultState,
  cluster: Cluster,
  controller: Controller,
  store: ApplicationStore,
  git: GitSource,
): FaultControl {
  const timers = new Set<NodeJS.Timeout>();
  const wakeAt = (ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      cluster.wake();
    }, Math.max(0, ms));
    t.unref?.();
    timers.add(t);
  };
  return {
    failImages(pattern, mode = 'pull', opts = {}) {
      if (!pattern) throw invalidArgument('pattern is required');
      const failure = { pattern, mode, ...(opts.app ? { app: opts.app } : {}) };
      state.imageFailures = [...state.imageFailures.filter((f) => f.pattern !== pattern || f.app !== opts.app), failure];
      cluster.wake();
    },
    clearImageFailures(pattern) {
      state.imageFailures = pattern ? state.imageFailures.filter((f) => f.pattern !== pattern) : [];
      cluster.wake();
    },
    degrade(app, opts = {}) {
      if (!app) throw invalidArgument('app is required');
      const afterMs = opts.afterMs ?? 0;
      state.degradedAt.set(app, { at: Date.now() + afterMs, mode: opts.mode ?? 'crash' });
      wakeAt(afterMs);
    },
    recover(app) {
      state.degradedAt.delete(app);
      cluster.wake();
    },
    failNextSyncs(app, count = 1, message = 'one or more objects failed to apply, reason: simulated sync failure') {
      if (!app) throw invalidArgument('app is required');
      state.failNextSyncs.set(app, { count, message });
    },
    setHttpFaults(faults) {
      state.http = { ...faults };
    },
    drift(request) {
      const kind = request.kind ?? 'Deployment';
      let key: string | undefined;
      if (request.name && request.namespace) {
        key = objectKey({ apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: { name: request.name, namespace: request.namespace } });
      } else if (request.app) {
        key = cluster.managedBy(request.app).find(([, o]) => o.manifest.kind === kind && (!request.name || o.manifest.metadata.name === request.name))?.[0];
      }
      if (!key || !cluster.get(key)) throw notFound(`no live ${kind} matches ${JSON.stringify(request)}`);
      cluster.mutate(key, (m: Manifest) => {
        const spec = (m.spec ??= {}) as { replicas?: number; template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } } };
        if (request.replicas !== undefined) spec.replicas = request.replicas;
        if (request.image !== undefined) {
          const containers = spec.template?.spec?.containers ?? [];
          const target = containers.find((c) => !request.container || c.name === request.container);
          if (target) target.image = request.image;
        }
      });
    },
    async startForeignOperation(request) {
      const app = store.get(request.app);
      if (!app?.spec.source) throw notFound(`applications.argoproj.io "${request.app}" not found`);
      if (app.operation) throw failedPrecondition('another operation is already in progress');
      const source = app.spec.source;
      const sha = await git.resolveRevision(source.repoURL, request.revision || source.targetRevision, true);
      setOperation({ store, controller }, app, {
        sync: { revision: sha, syncStrategy: { hook: {} } },
        initiatedBy: { username: request.username ?? 'someone-else' },
        ...(request.info?.length ? { info: request.info } : {}),
        retry: {},
      }, request.holdMs ?? 2000);
    },
    pauseController(paused) {
      controller.setPaused(paused);
    },
    reset() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const wasPaused = state.controllerPaused;
      state.clear();
      if (wasPaused) controller.setPaused(false);
      cluster.wake();
    },
    snapshot() {
      return state.snapshot();
    },
  };
}
