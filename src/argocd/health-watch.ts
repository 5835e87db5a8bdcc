// Soak: after a stage is Synced and Healthy, watch the app for a while and fail as soon as it degrades.
//
// What ends the soak:
//  - health Degraded -> terminal Degraded, at once (the deployment rolled out and then broke).
//  - health other than Healthy (Progressing, Missing, Suspended, Unknown) for longer than unhealthyGraceMs ->
//    terminal Degraded. Kubernetes only marks a Deployment Degraded when a rollout misses its progress
//    deadline: pods that start crashing after the rollout finished show as Progressing for ever, so a soak
//    that tolerated Progressing would pass a broken prod. A short dip (a pod restarting) is tolerated, and the
//    soak never ends on a dip: it waits for Healthy again or for the grace to run out.
//  - another revision being deployed (an operation, ours or not, to a revision other than ours, started
//    during the soak) -> the soak ends early with `superseded`: from then on health says nothing about our
//    revision, and the newer promotion watches its own.
// Not failures, only recorded: OutOfSync (a newer push, drift) and self-heal operations to our own revision.
import { RETRYABLE, TERMINAL, retryable, terminal } from '../failures.js';
import { abortError } from './abort.js';
import { ArgoCDApiError, argocdFailure, type ArgoCDClient } from './client.js';
import { type FailFastOptions, watchNewRevisionPods } from './fail-fast.js';
import { ApplicationFeed } from './feed.js';
import { degradedMessage, describeApplication, sameRevision } from './readiness.js';
import type { Application } from './types.js';

export interface HealthWatchTuning {
  pollFallbackMs: number;
  /** How long the app may be other than Healthy before the soak fails. */
  unhealthyGraceMs: number;
  progressEveryMs: number;
  unavailableAfterMs: number;
}

export const DEFAULT_HEALTH_TUNING: HealthWatchTuning = {
  pollFallbackMs: 30_000,
  unhealthyGraceMs: 30_000,
  progressEveryMs: 5_000,
  unavailableAfterMs: 90_000,
};

export interface HealthTransition {
  at: string;
  health: string;
  sync: string;
  message?: string;
}

export interface HealthWatchProgress {
  application: string;
  revision: string;
  health: string;
  sync: string;
  elapsedMs: number;
  remainingMs: number;
  state: string;
}

export interface WatchHealthInput {
  application: string;
  project: string;
  durationMs: number;
  /** The revision the stage deployed. */
  revision: string;
  onProgress?: (progress: HealthWatchProgress) => void;
  signal?: AbortSignal;
  tuning?: Partial<HealthWatchTuning>;
  /** Fail the soak as soon as the revision's pods keep crash-looping or failing to pull (fail-fast.ts). */
  failFast?: FailFastOptions;
}

export interface HealthWatchSummary {
  application: string;
  revision: string;
  startedAt: string;
  finishedAt: string;
  /** How long the soak actually ran (shorter than asked when superseded). */
  watchedMs: number;
  finalHealth: string;
  finalSync: string;
  transitions: HealthTransition[];
  /** A later operation deployed another revision during the soak. */
  superseded: boolean;
  supersededBy?: string;
  requests: number;
}

function revisionOfLatestOperation(app: Application, soakStartSec: number): string | undefined {
  const op = app.operation?.sync;
  if (op?.revision) return op.revision;
  const os = app.status?.operationState;
  if (!os?.startedAt || Date.parse(os.startedAt) < soakStartSec) return undefined;
  return os.syncResult?.revision ?? os.operation?.sync?.revision;
}

export async function watchHealth(client: ArgoCDClient, input: WatchHealthInput): Promise<HealthWatchSummary> {
  const tuning = { ...DEFAULT_HEALTH_TUNING, ...input.tuning };
  const { application, project, revision, signal } = input;
  const requestsAtStart = client.requests;
  const started = Date.now();
  const soakStartSec = Math.floor(started / 1000) * 1000;
  const end = started + input.durationMs;
  const transitions: HealthTransition[] = [];
  if (signal?.aborted) throw abortError(signal);

  const feed = new ApplicationFeed(client, application, project, signal);
  let lastObservationAt = Date.now();
  let lastProgressAt = 0;
  let unhealthySince: number | undefined;
  let lastKey = '';
  const failure = (e: unknown) => argocdFailure(e, (err) => retryable(RETRYABLE.argocdUnavailable, err.message));

  const summary = (app: Application | undefined, superseded: boolean, supersededBy?: string): HealthWatchSummary => ({
    application,
    revision,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    watchedMs: Date.now() - started,
    finalHealth: app?.status?.health?.status || 'Unknown',
    finalSync: app?.status?.sync?.status || 'Unknown',
    transitions,
    superseded,
    supersededBy,
    requests: client.requests - requestsAtStart,
  });

  let pods: ReturnType<typeof watchNewRevisionPods>;
  try {
    // A plain read first: a wrong name or project fails now with 404/403, where the stream would just stay
    // silent (it skips missing and forbidden apps).
    try {
      feed.push(await client.getApplication(application, { project, signal }));
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw failure(err);
    }
    feed.start();
    pods = input.failFast ? watchNewRevisionPods(client, { application, project, signal, ...input.failFast }) : undefined;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (feed.fatal) throw failure(feed.fatal);
      if (pods?.failure) throw pods.failure;
      if (feed.deleted) {
        throw terminal(TERMINAL.degraded, `Argo CD application ${application} was deleted during the health watch of revision ${revision}`);
      }
      const app = feed.latest;
      const version = feed.version;
      const now = Date.now();
      if (feed.lastUpdateAt > lastObservationAt) lastObservationAt = feed.lastUpdateAt;

      if (app) {
        const health = app.status?.health?.status || 'Unknown';
        const sync = app.status?.sync?.status || 'Unknown';
        const key = `${health}|${sync}`;
        if (key !== lastKey) {
          lastKey = key;
          transitions.push({ at: new Date(now).toISOString(), health, sync, message: app.status?.health?.message || undefined });
        }
        const other = revisionOfLatestOperation(app, soakStartSec);
        if (other && !sameRevision(other, revision)) {
          return summary(app, true, other);
        }
        if (health === 'Degraded') {
          throw terminal(
            TERMINAL.degraded,
            `Argo CD application ${application} became Degraded ${Math.round((now - started) / 1000)}s into the health watch of revision ${revision}: ${degradedMessage(app)}`,
          );
        }
        if (health !== 'Healthy') {
          unhealthySince ??= now;
          if (now - unhealthySince >= tuning.unhealthyGraceMs) {
            throw terminal(
              TERMINAL.degraded,
              `Argo CD application ${application} has been ${health} for ${Math.round((now - unhealthySince) / 1000)}s during the health watch of revision ${revision}: ${app.status?.health?.message || (health === 'Missing' ? 'its resources are gone' : 'not Healthy')}`,
            );
          }
        } else {
          unhealthySince = undefined;
        }
        if (input.onProgress && (now - lastProgressAt >= tuning.progressEveryMs || transitions.length === 1 && lastProgressAt === 0)) {
          lastProgressAt = now;
          input.onProgress({
            application,
            revision,
            health,
            sync,
            elapsedMs: now - started,
            remainingMs: Math.max(0, end - now),
            state: describeApplication(app),
          });
        }
      }
      if (now >= end && unhealthySince === undefined) return summary(app, false);

      let wait = Math.max(0, Math.min(end - now, tuning.progressEveryMs));
      if (unhealthySince !== undefined) wait = Math.min(Math.max(wait, 20), unhealthySince + tuning.unhealthyGraceMs - now);
      const changed = await Promise.race([feed.waitForChange(version, Math.max(wait, 20)), ...(pods ? [pods.failed.then(() => true)] : [])]);
      if (!changed && Date.now() - Math.max(feed.lastUpdateAt, lastObservationAt) >= tuning.pollFallbackMs) {
        try {
          const fresh = await client.getApplication(application, { project, signal, tries: 1 });
          lastObservationAt = Date.now();
          if (!feed.push(fresh)) feed.lastUpdateAt = Date.now();
        } catch (err) {
          if (signal?.aborted) throw abortError(signal);
          if (!(err instanceof ArgoCDApiError) || !err.transient) throw failure(err);
          if (Date.now() - lastObservationAt > tuning.unavailableAfterMs) {
            throw retryable(
              RETRYABLE.argocdUnavailable,
              `Argo CD unreachable for ${Math.round((Date.now() - lastObservationAt) / 1000)}s during the health watch of application ${application}: ${err.message}`,
            );
          }
        }
      }
    }
  } finally {
    await Promise.all([feed.stopped(), pods?.stop()]);
  }
}
