import type { Cluster } from './cluster.js';
import { compare, targetObjects } from './comparison.js';
import type { FaultState } from './faults.js';
import type { GitSource } from './git-source.js';
import { renderSource } from './render.js';
import type { ApplicationStore } from './store.js';
import { applySync } from './sync.js';
import { parseGoDuration, rfc3339 } from './time.js';
import type { Application, Manifest, Operation, OperationState, ResourceResult } from './types.js';

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

export interface ControllerTiming {
  reconcileIntervalMs: number;
  /** Between a sync request and the controller starting it (operationState absent meanwhile). */
  operationDelayMs: number;
  /** How long applying a sync takes once Running. */
  syncDurationMs: number;
  /** Between an operation finishing and the refresh that updates reconciledAt. */
  postOperationRefreshMs: number;
  selfHealTimeoutMs: number;
}

interface Desired {
  sha: string;
  targets: Manifest[];
}

interface AppRuntime {
  reconciling: boolean;
  again?: { fresh: boolean };
  opToken: number;
  opTimer?: NodeJS.Timeout;
  holdMs: number;
  refreshTimer?: NodeJS.Timeout;
  selfHealTimer?: NodeJS.Timeout;
  liveUpdateQueued: boolean;
  awaitingPostOpRefresh: boolean;
  /** Bumped whenever an operation applies or ends, so a reconcile that straddled it is redone. */
  opEpoch: number;
}

/**
 * The application controller: periodic and requested reconciles, the operation state
 * machine (accepted -> Running -> Succeeded/Failed, retries, termination), auto-sync with
 * self-heal, and health updates when live objects change.
 */
export class Controller {
  private readonly desired = new Map<string, Desired>();
  private readonly runtimes = new Map<string, AppRuntime>();
  private periodic: NodeJS.Timeout | undefined;
  private parked: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly store: ApplicationStore,
    private readonly cluster: Cluster,
    private readonly git: GitSource,
    private readonly faults: FaultState,
    private readonly timing: ControllerTiming,
  ) {}

  start(): void {
    this.cluster.onChange((apps) => {
      for (const name of apps) if (name) this.queueLiveUpdate(name);
    });
    this.periodic = setInterval(() => {
      for (const app of this.store.list()) this.requestRefresh(app.metadata.name, false);
    }, this.timing.reconcileIntervalMs);
    this.periodic.unref?.();
    for (const app of this.store.list()) {
      this.requestRefresh(app.metadata.name, true);
      if (app.operation) this.resumeOperation(app);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.periodic) clearInterval(this.periodic);
    for (const rt of this.runtimes.values()) {
      clearTimeout(rt.opTimer);
      clearTimeout(rt.refreshTimer);
      clearTimeout(rt.selfHealTimer);
    }
    this.parked = [];
  }

  setPaused(paused: boolean): void {
    this.faults.controllerPaused = paused;
    if (paused) return;
    const parked = this.parked;
    this.parked = [];
    for (const run of parked) run();
  }

  forget(name: string): void {
    const rt = this.runtimes.get(name);
    if (rt) {
      clearTimeout(rt.opTimer);
      clearTimeout(rt.refreshTimer);
      clearTimeout(rt.selfHealTimer);
      rt.opToken += 1;
    }
    this.runtimes.delete(name);
    this.desired.delete(name);
  }

  /** Queue a reconcile; `fresh` resolves the branch again instead of trusting the ref cache. */
  requestRefresh(name: string, fresh: boolean): void {
    if (this.stopped) return;
    const rt = this.runtime(name);
    if (rt.reconciling) {
      rt.again = { fresh: fresh || Boolean(rt.again?.fresh) };
      return;
    }
    rt.reconciling = true;
    void this.reconcile(name, fresh)
      .catch((err: unknown) => console.error(`argocd-sim: reconcile of ${name} failed:`, err))
      .finally(() => {
        rt.reconciling = false;
        const again = rt.again;
        rt.again = undefined;
        if (again) this.requestRefresh(name, again.fresh);
      });
  }

  /** An operation was just set on the application (API, auto-sync, fault, rollback). */
  operationRequested(name: string, holdMs = 0): void {
    const rt = this.runtime(name);
    rt.opToken += 1;
    rt.holdMs = holdMs;
    const token = rt.opToken;
    clearTimeout(rt.opTimer);
    rt.opTimer = setTimeout(() => this.whenRunning(() => this.startOperation(name, token)), this.timing.operationDelayMs);
  }

  terminateOperation(name: string): void {
    const app = this.store.get(name);
    const state = app?.status?.operationState;
    if (!app || !state) return;
    state.phase = 'Terminating';
    this.store.commit(app);
    const rt = this.runtime(name);
    rt.opToken += 1;
    clearTimeout(rt.opTimer);
    const token = rt.opToken;
    rt.opTimer = setTimeout(
      () =>
        this.whenRunning(() => {
          const current = this.store.get(name);
          const s = current?.status?.operationState;
          if (!current || !s || rt.opToken !== token) return;
          rt.opEpoch += 1;
          s.phase = 'Failed';
          s.message = 'Operation terminated';
          s.finishedAt = rfc3339();
          delete current.operation;
          this.store.commit(current);
          this.schedulePostOperationRefresh(name);
        }),
      this.timing.operationDelayMs,
    );
  }

  private runtime(name: string): AppRuntime {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = { reconciling: false, opToken: 0, holdMs: 0, liveUpdateQueued: false, awaitingPostOpRefresh: false, opEpoch: 0 };
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  private whenRunning(run: () => void): void {
    if (this.stopped) return;
    if (this.faults.controllerPaused) this.parked.push(run);
    else run();
  }

  private async reconcile(name: string, fresh: boolean): Promise<void> {
    if (this.faults.controllerPaused) {
      this.parked.push(() => this.requestRefresh(name, fresh));
      return;
    }
    const app = this.store.get(name);
    const source = app?.spec.source;
    if (!app || !source) return;
    // Only a reconcile that began after a refresh was requested may answer it (and it
    // must not trust cached refs); an earlier one could have read git before the push.
    const answersRefresh = Boolean(app.metadata.annotations?.[REFRESH_ANNOTATION]);
    fresh ||= answersRefresh;
    const rt = this.runtime(name);
    const epoch = rt.opEpoch;
    let desired: Desired | undefined;
    let failure: string | undefined;
    try {
      const sha = await this.git.resolveRevision(source.repoURL, source.targetRevision, fresh);
      desired = { sha, targets: targetObjects(await renderSource(this.git, source, sha), app) };
    } catch (err) {
      failure = (err as Error).message;
    }
    const current = this.store.get(name);
    if (!current || this.stopped) return;
    if (this.faults.controllerPaused) {
      this.parked.push(() => this.requestRefresh(name, fresh));
      return;
    }
    if (rt.opEpoch !== epoch) {
      // An operation applied while git was read: this comparison may predate it.
      rt.again = { fresh: true };
      return;
    }
    const status = (current.status ??= {});
    const now = rfc3339();
    const comparedTo = { source: structuredClone(current.spec.source!), destination: structuredClone(current.spec.destination) };
    if (desired) {
      this.desired.set(name, desired);
      status.conditions = (status.conditions ?? []).filter((c) => c.type !== 'ComparisonError');
      if (status.conditions.length === 0) delete status.conditions;
      status.sync = { status: status.sync?.status, revision: desired.sha, comparedTo };
      this.applyComparison(current, desired);
    } else {
      this.desired.delete(name);
      const others = (status.conditions ?? []).filter((c) => c.type !== 'ComparisonError');
      const previous = (status.conditions ?? []).find((c) => c.type === 'ComparisonError');
      status.conditions = [
        ...others,
        {
          type: 'ComparisonError',
          message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${failure}`,
          lastTransitionTime: previous?.lastTransitionTime ?? now,
        },
      ];
      status.sync = { status: 'Unknown', comparedTo };
      status.health = { status: status.health?.status ?? 'Unknown' };
    }
    // While an operation is in flight the status is not trustworthy, so reconciledAt stays
    // behind until the post-operation refresh: `reconciledAt >= finishedAt` must mean it.
    if (!current.operation) {
      status.reconciledAt = now;
    }
    if (answersRefresh && current.metadata.annotations) delete current.metadata.annotations[REFRESH_ANNOTATION];
    this.store.commit(current);
    if (desired) this.autoSync(current);
  }

  private applyComparison(app: Application, desired: Desired): void {
    const result = compare(app.metadata.name, desired.targets, this.cluster);
    const status = (app.status ??= {});
    status.sync = { ...(status.sync ?? {}), status: result.syncStatus };
    status.health = { status: result.health };
    status.resources = result.resources;
    status.summary = result.images.length ? { images: result.images } : {};
  }

  private queueLiveUpdate(name: string): void {
    const rt = this.runtime(name);
    if (rt.liveUpdateQueued) return;
    rt.liveUpdateQueued = true;
    setImmediate(() => {
      rt.liveUpdateQueued = false;
      this.liveUpdate(name);
    });
  }

  /**
   * Live objects changed: update resource health and sync status from the last rendered
   * target, without touching git or reconciledAt. Skipped while an operation is in flight
   * or its follow-up refresh is pending, which is the stale window careful clients wait out.
   */
  private liveUpdate(name: string): void {
    if (this.stopped || this.faults.controllerPaused) return;
    const app = this.store.get(name);
    const desired = this.desired.get(name);
    const rt = this.runtime(name);
    if (!app || !desired || app.operation || rt.awaitingPostOpRefresh) return;
    this.applyComparison(app, desired);
    this.store.commit(app);
    this.autoSync(app);
  }

  private autoSync(app: Application): void {
    const policy = app.spec.syncPolicy;
    const automated = policy?.automated;
    if (!automated || automated.enabled === false || app.operation || this.faults.controllerPaused) return;
    const status = app.status;
    const sha = status?.sync?.revision;
    if (status?.sync?.status !== 'OutOfSync' || !sha) return;
    if (status.conditions?.some((c) => c.type === 'ComparisonError')) return;
    const needsMoreThanPrune = (status.resources ?? []).some((r) => r.status !== 'Synced' && !r.requiresPruning);
    if (!automated.prune && !needsMoreThanPrune) return;
    const last = status.operationState;
    const rt = this.runtime(app.metadata.name);
    if (last?.syncResult?.revision === sha && !last.operation.sync?.source) {
      // Never retry a revision whose sync failed; self-heal only re-applies a good one.
      if (last.phase !== 'Succeeded' || !automated.selfHeal || !last.finishedAt) return;
      const due = Date.parse(last.finishedAt) + this.timing.selfHealTimeoutMs;
      if (Date.now() < due) {
        clearTimeout(rt.selfHealTimer);
        rt.selfHealTimer = setTimeout(() => {
          const current = this.store.get(app.metadata.name);
          if (current) this.autoSync(current);
        }, due - Date.now());
        return;
      }
    }
    const operation: Operation = {
      sync: {
        revision: sha,
        prune: Boolean(automated.prune),
        ...(policy.syncOptions?.length ? { syncOptions: [...policy.syncOptions] } : {}),
      },
      initiatedBy: { automated: true },
      retry: structuredClone(policy.retry ?? { limit: 5 }),
    };
    app.operation = operation;
    if (app.status) delete app.status.operationState;
    this.store.commit(app);
    this.operationRequested(app.metadata.name);
  }

  private resumeOperation(app: Application): void {
    const state = app.status?.operationState;
    if (state?.phase === 'Terminating') return this.terminateOperation(app.metadata.name);
    if (state && state.phase === 'Running') {
      const rt = this.runtime(app.metadata.name);
      rt.opToken += 1;
      const token = rt.opToken;
      rt.opTimer = setTimeout(() => this.whenRunning(() => this.runAttempt(app.metadata.name, token)), this.timing.syncDurationMs);
      return;
    }
    this.operationRequested(app.metadata.name);
  }

  private startOperation(name: string, token: number): void {
    const app = this.store.get(name);
    const rt = this.runtime(name);
    if (!app?.operation || rt.opToken !== token) return;
    const state: OperationState = { operation: structuredClone(app.operation), phase: 'Running', startedAt: rfc3339() };
    (app.status ??= {}).operationState = state;
    this.store.commit(app);
    const wait = Math.max(this.timing.syncDurationMs, rt.holdMs);
    rt.opTimer = setTimeout(() => this.whenRunning(() => this.runAttempt(name, token)), wait);
  }

  private runAttempt(name: string, token: number): void {
    this.attempt(name, token).catch((err: unknown) => console.error(`argocd-sim: operation on ${name} failed:`, err));
  }

  private async attempt(name: string, token: number): Promise<void> {
    const rt = this.runtime(name);
    const app = this.store.get(name);
    const state = app?.status?.operationState;
    if (!app?.operation || !state || rt.opToken !== token || state.phase !== 'Running') return;
    const sync = state.operation.sync ?? {};
    const source = sync.source ?? app.spec.source!;
    let revision = sync.revision ?? '';
    let outcome: { ok: boolean; message: string; resources?: ResourceResult[] };
    const injected = this.faults.takeSyncFailure(name);
    try {
      revision = await this.git.resolveRevision(source.repoURL, sync.revision || source.targetRevision, true);
      if (injected) {
        outcome = { ok: false, message: injected };
      } else {
        const targets = targetObjects(await renderSource(this.git, source, revision), app);
        const current = this.store.get(name);
        if (current !== app || rt.opToken !== token || state.phase !== 'Running') return;
        outcome = applySync(app, sync, targets, this.cluster);
      }
    } catch (err) {
      outcome = { ok: false, message: `ComparisonError: ${(err as Error).message}` };
    }
    if (this.stopped || this.store.get(name) !== app || rt.opToken !== token || state.phase !== 'Running') return;
    rt.opEpoch += 1;
    const now = rfc3339();
    state.syncResult = { revision, source: structuredClone(source), ...(outcome.resources ? { resources: outcome.resources } : {}) };
    if (outcome.ok) {
      state.phase = 'Succeeded';
      state.message = outcome.message;
      state.finishedAt = now;
      const partial = (sync.resources?.length ?? 0) > 0;
      if (!sync.dryRun && !partial) {
        const status = (app.status ??= {});
        const history = status.history ?? [];
        history.push({
          id: history.length ? history[history.length - 1]!.id + 1 : 0,
          revision,
          deployedAt: now,
          deployStartedAt: state.startedAt,
          source: structuredClone(source),
          initiatedBy: structuredClone(state.operation.initiatedBy ?? {}),
        });
        const limit = app.spec.revisionHistoryLimit ?? 10;
        status.history = history.slice(Math.max(0, history.length - limit));
      }
      delete app.operation;
      this.store.commit(app);
      this.schedulePostOperationRefresh(name);
      return;
    }
    const retry = state.operation.retry ?? {};
    const limit = retry.limit ?? 0;
    const count = state.retryCount ?? 0;
    if (limit < 0 || count < limit) {
      const backoff = backoffMs(retry, count);
      state.message = `${outcome.message}. Retrying attempt #${count + 1} at ${clock(Date.now() + backoff)}.`;
      state.finishedAt = now;
      state.retryCount = count + 1;
      this.store.commit(app);
      rt.opTimer = setTimeout(
        () =>
          this.whenRunning(() => {
            const current = this.store.get(name);
            if (current !== app || rt.opToken !== token || state.phase !== 'Running') return;
            delete state.finishedAt;
            this.store.commit(app);
            rt.opTimer = setTimeout(() => this.whenRunning(() => this.runAttempt(name, token)), this.timing.syncDurationMs);
          }),
        backoff,
      );
      return;
    }
    state.phase = 'Failed';
    state.message = outcome.message;
    state.finishedAt = now;
    delete app.operation;
    this.store.commit(app);
    this.schedulePostOperationRefresh(name);
  }

  private schedulePostOperationRefresh(name: string): void {
    const app = this.store.get(name);
    const status = app?.status;
    const finishedAt = status?.operationState?.finishedAt;
    // Timestamps have whole seconds: a reconcile earlier in the same second as finishedAt
    // would read as "reconciled after the operation". Report it a second earlier so that
    // `reconciledAt >= finishedAt` holds only once the follow-up refresh ran.
    if (app && status?.reconciledAt && finishedAt && status.reconciledAt >= finishedAt) {
      status.reconciledAt = rfc3339(Date.parse(finishedAt) - 1000);
      this.store.commit(app);
    }
    const rt = this.runtime(name);
    rt.awaitingPostOpRefresh = true;
    clearTimeout(rt.refreshTimer);
    rt.refreshTimer = setTimeout(() => {
      rt.awaitingPostOpRefresh = false;
      this.requestRefresh(name, true);
    }, this.timing.postOperationRefreshMs);
  }
}

function backoffMs(retry: NonNullable<Operation['retry']>, attempt: number): number {
  const base = parseGoDuration(retry.backoff?.duration, 5000);
  const factor = retry.backoff?.factor ?? 2;
  const max = parseGoDuration(retry.backoff?.maxDuration, 180_000);
  return Math.min(max, base * Math.pow(factor, attempt));
}

function clock(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  return `${h % 12 === 0 ? 12 : h % 12}:${String(d.getUTCMinutes()).padStart(2, '0')}${h < 12 ? 'AM' : 'PM'}`;
}
