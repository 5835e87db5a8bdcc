// Get Argo CD to sync the revision a stage just committed, and wait until that revision is really synced
// and healthy. Decisions come from readiness.ts on every state change the watch stream delivers; GETs are
// only for the initial refresh, a stale status after our sync, and a silent stream.
import { TERMINAL, terminal, retryable, RETRYABLE } from '../failures.js';
import { abortError } from './abort.js';
import { ArgoCDApiError, argocdFailure, type ArgoCDClient } from './client.js';
import { type FailFastOptions, watchNewRevisionPods } from './fail-fast.js';
import { ApplicationFeed } from './feed.js';
import {
  INFO_PROMOTION,
  INFO_STAGE,
  blockingCondition,
  decideReadiness,
  describeApplication,
  sameRevision,
  type Expectation,
  type Readiness,
} from './readiness.js';
import { isAutoSync, type Application } from './types.js';

export interface SyncTuning {
  /** How long an auto-sync app gets to start its own operation for our revision before we sync it. */
  autoSyncGraceMs: number;
  /** GET the app when the stream has been silent this long (NDJSON has no keepalive). */
  pollFallbackMs: number;
  /** How long a status older than our operation's finishedAt is tolerated before a hard refresh. */
  hardRefreshAfterMs: number;
  /** At most one hard refresh per this period. */
  hardRefreshEveryMs: number;
  /** A ComparisonError/InvalidSpecError condition lasting this long fails the stage. */
  conditionGraceMs: number;
  /** onProgress is called at least this often while waiting. */
  progressEveryMs: number;
  /** Sync requests per stage, across activity retries (via resumeState). */
  maxSyncRequests: number;
  /** With no observation at all for this long (stream and GETs failing), give up as ArgoCDUnavailable. */
  unavailableAfterMs: number;
}

export const DEFAULT_SYNC_TUNING: SyncTuning = {
  autoSyncGraceMs: 15_000,
  pollFallbackMs: 12_000,
  hardRefreshAfterMs: 2_500,
  hardRefreshEveryMs: 15_000,
  conditionGraceMs: 30_000,
  progressEveryMs: 5_000,
  maxSyncRequests: 3,
  unavailableAfterMs: 90_000,
};

/** What an activity retried after a crash needs to carry on: heartbeat it, pass it back. */
export interface SyncResumeState {
  /** A sync request of ours was accepted by Argo CD. */
  syncRequested: boolean;
  syncRequestedAt?: string;
  /** Sync requests made so far for this stage. */
  syncRequests: number;
}

export interface SyncProgress extends SyncResumeState {
  application: string;
  revision: string;
  decision: Readiness['kind'];
  reason: string;
  /** One line of Argo CD state (describeApplication). */
  state: string;
  requests: number;
}

export interface SyncAndWaitInput {
  application: string;
  project: string;
  /** Commit SHA the stage pushed. */
  revision: string;
  promotionId: string;
  stage: string;
  /** Whether the app auto-syncs; read from the app's syncPolicy when omitted. */
  autoSync?: boolean;
  prune?: boolean;
  timeoutMs: number;
  onProgress?: (progress: SyncProgress) => void;
  resumeState?: Partial<SyncResumeState>;
  /** Ignore operation states that started before this instant. */
  startedAfter?: string | Date;
  /**
   * Auto-sync apps can only deploy the head of their branch. When Argo CD resolves that head (after our
   * push) to another commit, this answers whether that commit contains ours (e.g. `git merge-base
   * --is-ancestor <revision> <head>`); if so, its deployment supersedes ours and ends the wait. Without
   * it, only our exact revision counts: a head resolved from a lagging mirror or another branch proves nothing.
   * `'replaced'` says the head contains our commit but declares another image: auto-sync will never deploy ours,
   * so the wait ends at once as Superseded (not a failure to roll back).
   */
  headContainsRevision?: (head: string, revision: string) => Promise<boolean | 'replaced'>;
  signal?: AbortSignal;
  tuning?: Partial<SyncTuning>;
  /** Fail the stage as soon as the new revision's pods keep crash-looping or failing to pull (fail-fast.ts). */
  failFast?: FailFastOptions;
}

export interface SyncAndWaitResult {
  revision: string;
  syncedAt: string;
  health: string;
  operationStartedAt?: string;
  finishedAt?: string;
  /** HTTP requests this call made (stream connections included). */
  requests: number;
  /**
   * The branch moved past our revision: either after our sync (our revision was deployed and Healthy) or
   * before auto-sync could deploy it (a later head containing it was deployed instead). See
   * docs/argocd-races.md#branch-moved-on.
   */
  superseded: boolean;
  /** The revision whose deployment ended the wait: ours, or the later head on an auto-sync app. */
  deployedRevision: string;
  /** Whether we requested a sync (false when auto-sync did it). */
  syncRequested: boolean;
  autoSync: boolean;
}

export async function syncAndWait(client: ArgoCDClient, input: SyncAndWaitInput): Promise<SyncAndWaitResult> {
  const tuning = { ...DEFAULT_SYNC_TUNING, ...input.tuning };
  const { application, project, revision } = input;
  const signal = input.signal;
  const requestsAtStart = client.requests;
  const startedAt = Date.now();
  const deadline = startedAt + input.timeoutMs;
  const exp: Expectation = { revision, promotionTag: input.promotionId, startedAfter: input.startedAfter };
  // The branch head as Argo CD resolved it after our push: from a requested refresh or our sync's answer,
  // never from a periodic reconcile (those may use a revision cached from before the push).
  let freshHead: string | undefined;
  const resume: SyncResumeState = {
    syncRequested: input.resumeState?.syncRequested ?? false,
    syncRequestedAt: input.resumeState?.syncRequestedAt,
    syncRequests: input.resumeState?.syncRequests ?? 0,
  };
  const infos = [
    { name: INFO_PROMOTION, value: input.promotionId },
    { name: INFO_STAGE, value: input.stage },
  ];
  const failure = (e: unknown) =>
    argocdFailure(e, (err) =>
      terminal(TERMINAL.syncFailed, `Argo CD refused a request for application ${application} (revision ${revision}): ${err.argoMessage}`),
    );

  if (signal?.aborted) throw abortError(signal);
  const feed = new ApplicationFeed(client, application, project, signal);
  let lastDecision: Readiness | undefined;
  let lastProgressAt = 0;
  let lastProgressKey = '';

  const progress = (d: Readiness, force = false) => {
    if (!input.onProgress) return;
    const reason = 'reason' in d ? d.reason : d.message;
    const key = `${d.kind}|${reason}|${resume.syncRequests}`;
    const now = Date.now();
    if (!force && key === lastProgressKey && now - lastProgressAt < tuning.progressEveryMs) return;
    lastProgressKey = key;
    lastProgressAt = now;
    input.onProgress({
      ...resume,
      application,
      revision,
      decision: d.kind,
      reason,
      state: describeApplication(feed.latest),
      requests: client.requests - requestsAtStart,
    });
  };

  // One blocking GET with a refresh: Argo CD resolves the branch now and sees our commit without waiting
  // for its periodic reconcile. If the refresh itself times out, a plain read still gets us going.
  const remaining = () => deadline - Date.now();
  try {
    let first: Application;
    try {
      first = await client.getApplication(application, {
        project,
        refresh: 'normal',
        signal,
        tries: 1,
        timeoutMs: Math.max(1_000, Math.min(90_000, remaining())),
      });
      freshHead = first.status?.sync?.revision;
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (!(err instanceof ArgoCDApiError) || !err.transient) throw err;
      first = await client.getApplication(application, { project, signal });
    }
    feed.push(first);
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw failure(err);
  }
  let autoSync = input.autoSync ?? isAutoSync(feed.latest!);
  feed.start();
  const pods = input.failFast ? watchNewRevisionPods(client, { application, project, signal, ...input.failFast }) : undefined;

  const contains = new Map<string, boolean | 'replaced'>();
  const checkHead = async () => {
    if (!autoSync || !freshHead || sameRevision(freshHead, revision) || !input.headContainsRevision || contains.has(freshHead)) return;
    const head = freshHead;
    try {
      contains.set(head, await input.headContainsRevision(head, revision));
    } catch {
      // Unknown is not proof; ask again when the head changes.
      contains.set(head, false);
    }
  };
  /** A later head that contains our revision, on an auto-sync app, if there is one. */
  const supersedingHead = (): string | undefined =>
    autoSync && freshHead && !sameRevision(freshHead, revision) && contains.get(freshHead) === true ? freshHead : undefined;
  /** A later head on an auto-sync app that contains our commit but not our image: ours will never be deployed. */
  const replacingHead = (): string | undefined =>
    autoSync && freshHead && !sameRevision(freshHead, revision) && contains.get(freshHead) === 'replaced' ? freshHead : undefined;
  /** Our revision first; when nobody is deploying it and a later head supersedes it, that head. */
  const decide = (app: Application): { d: Readiness; deployed: string } => {
    const mine = decideReadiness(app, exp);
    const head = mine.kind === 'need-sync' || mine.kind === 'foreign-operation' ? supersedingHead() : undefined;
    if (!head) return { d: mine, deployed: revision };
    return { d: decideReadiness(app, { ...exp, revision: head }), deployed: head };
  };

  let needSyncSince: number | undefined;
  let staleSince: number | undefined;
  let lastHardRefreshAt = 0;
  let conditionSince: number | undefined;
  let lastSyncAttemptVersion = -1;
  let lastObservationAt = Date.now();
  let lastSyncedTo: string | undefined;

  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (feed.fatal) throw failure(feed.fatal);
      if (pods?.failure) throw pods.failure;
      if (feed.deleted) {
        throw terminal(TERMINAL.argocdAccess, `Argo CD application ${application} was deleted while waiting for revision ${revision}`);
      }
      const app = feed.latest!;
      const version = feed.version;
      const now = Date.now();
      if (feed.lastUpdateAt > lastObservationAt) lastObservationAt = feed.lastUpdateAt;
      await checkHead();
      const { d, deployed } = decide(app);
      lastDecision = d;
      const replacedBy = d.kind === 'need-sync' || d.kind === 'foreign-operation' ? replacingHead() : undefined;
      if (replacedBy) {
        throw terminal(
          TERMINAL.superseded,
          `Argo CD application ${application} follows its branch to ${replacedBy}, which contains our commit ${revision} but not our image: a later change replaced it`,
        );
      }

      const cond = blockingCondition(app);
      if (cond) {
        conditionSince ??= now;
        if (now - conditionSince >= tuning.conditionGraceMs) {
          throw terminal(
            TERMINAL.syncFailed,
            `Argo CD application ${application} cannot sync revision ${revision}: ${cond.type}: ${cond.message ?? ''}`,
          );
        }
      } else {
        conditionSince = undefined;
      }
      if (d.kind !== 'need-sync') needSyncSince = undefined;
      if (d.kind !== 'need-hard-refresh') staleSince = undefined;

      switch (d.kind) {
        case 'ready':
          progress(d, true);
          return {
            revision,
            syncedAt: new Date().toISOString(),
            health: d.health,
            operationStartedAt: d.operationStartedAt,
            finishedAt: d.finishedAt,
            requests: client.requests - requestsAtStart,
            superseded: d.superseded || !sameRevision(deployed, revision),
            deployedRevision: sameRevision(deployed, revision) ? revision : deployed,
            syncRequested: resume.syncRequested,
            autoSync,
          };
        case 'degraded':
          throw terminal(
            TERMINAL.degraded,
            `Argo CD application ${application} is Degraded after syncing revision ${deployed}${deployed === revision ? '' : ` (a later head containing our ${revision})`}: ${d.message}`,
          );
        case 'sync-failed':
          throw terminal(
            TERMINAL.syncFailed,
            `Argo CD sync of application ${application} to revision ${deployed}${deployed === revision ? '' : ` (a later head containing our ${revision})`} failed: ${d.message}`,
          );
        case 'need-hard-refresh': {
          staleSince ??= now;
          if (now - staleSince >= tuning.hardRefreshAfterMs && now - lastHardRefreshAt >= tuning.hardRefreshEveryMs) {
            lastHardRefreshAt = now;
            progress(d, true);
            await observe(async () => {
              const fresh = await client.getApplication(application, {
                project,
                refresh: 'hard',
                signal,
                tries: 1,
                timeoutMs: Math.max(1_000, Math.min(90_000, remaining())),
              });
              freshHead = fresh.status?.sync?.revision ?? freshHead;
              return fresh;
            });
            continue;
          }
          break;
        }
        case 'need-sync': {
          needSyncSince ??= now;
          const graceOver = !autoSync || resume.syncRequested || now - needSyncSince >= tuning.autoSyncGraceMs;
          // One request per observed state: after a refusal, wait for the app to change before asking again.
          if (graceOver && version !== lastSyncAttemptVersion) {
            if (resume.syncRequests >= tuning.maxSyncRequests) {
              const moved =
                lastSyncedTo && !sameRevision(lastSyncedTo, revision)
                  ? ` Argo CD syncs ${app.spec?.source?.targetRevision ?? 'its targetRevision'}, which resolves to ${lastSyncedTo}, not our revision${input.headContainsRevision ? ', and that commit does not contain ours' : ''}.`
                  : '';
              throw terminal(
                TERMINAL.syncFailed,
                `Argo CD application ${application}: ${resume.syncRequests} sync requests for revision ${revision} did not result in a sync of it.${moved} Last state: ${describeApplication(app)}`,
              );
            }
            lastSyncAttemptVersion = version;
            resume.syncRequests++;
            progress(d, true);
            try {
              // Auto-sync apps refuse a revision other than targetRevision: sync the branch head
              // (docs/argocd-races.md#branch-moved-on).
              const answer = await client.sync(application, {
                project,
                revision: autoSync ? undefined : revision,
                prune: input.prune ?? false,
                infos,
                signal,
              });
              resume.syncRequested = true;
              resume.syncRequestedAt = new Date().toISOString();
              // Without a revision Argo CD resolved targetRevision afresh for this sync.
              if (autoSync) freshHead = answer.operation?.sync?.revision ?? freshHead;
              lastSyncedTo = answer.operation?.sync?.revision;
              feed.push(answer);
              progress(decide(feed.latest!).d, true);
            } catch (err) {
              if (signal?.aborted) throw abortError(signal);
              if (err instanceof ArgoCDApiError && err.operationInProgress) {
                // Someone else's operation (often auto-sync) got there first; the stream shows it
                // (docs/argocd-races.md#another-operation-in-progress).
                resume.syncRequests--;
              } else if (err instanceof ArgoCDApiError && err.status === 400 && /auto-sync currently set to/i.test(err.argoMessage)) {
                autoSync = true;
                lastSyncAttemptVersion = -1;
                resume.syncRequests--;
              } else if (err instanceof ArgoCDApiError && err.transient) {
                // The client already retried; the activity retry policy takes it from here. If the request
                // did land, the retried activity finds our operation and does not sync again.
                resume.syncRequests--;
                progress(d, true);
                throw failure(err);
              } else {
                throw failure(err);
              }
            }
            continue;
          }
          break;
        }
        default:
          break;
      }

      progress(d);
      if (Date.now() >= deadline) {
        throw terminal(
          TERMINAL.waitTimeout,
          `Argo CD application ${application} did not reach revision ${revision} Synced and Healthy within ${Math.round(input.timeoutMs / 1000)}s: ${d.reason}; last state: ${describeApplication(app)}`,
        );
      }

      let wait = Math.min(deadline - Date.now(), tuning.progressEveryMs);
      if (d.kind === 'need-sync' && needSyncSince !== undefined && autoSync && !resume.syncRequested) {
        wait = Math.min(wait, needSyncSince + tuning.autoSyncGraceMs - Date.now());
      }
      if (d.kind === 'need-hard-refresh' && staleSince !== undefined) {
        wait = Math.min(wait, Math.max(staleSince + tuning.hardRefreshAfterMs, lastHardRefreshAt + tuning.hardRefreshEveryMs) - Date.now());
      }
      const changed = await Promise.race([feed.waitForChange(version, Math.max(wait, 50)), ...(pods ? [pods.failed.then(() => true)] : [])]);
      if (!changed && Date.now() - Math.max(feed.lastUpdateAt, lastObservationAt) >= tuning.pollFallbackMs) {
        await observe(() => client.getApplication(application, { project, signal, tries: 1 }));
      }
    }
  } finally {
    await Promise.all([feed.stopped(), pods?.stop()]);
  }

  async function observe(get: () => Promise<Application>): Promise<void> {
    try {
      const app = await get();
      lastObservationAt = Date.now();
      if (!feed.push(app)) feed.lastUpdateAt = Date.now();
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (err instanceof ArgoCDApiError && err.transient) {
        if (Date.now() - lastObservationAt > tuning.unavailableAfterMs) {
          throw retryable(
            RETRYABLE.argocdUnavailable,
            `Argo CD unreachable for ${Math.round((Date.now() - lastObservationAt) / 1000)}s while waiting for application ${application}: ${err.message}; last decision: ${lastDecision?.kind ?? '-'}`,
          );
        }
        return;
      }
      throw failure(err);
    }
  }
}
