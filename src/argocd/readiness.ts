// Pure decision: given one Application as Argo CD reports it, how far is OUR revision along?
// Every rule here answers one of the races in docs/argocd-races.md; the tests name its headings.
//
// What counts as "our operation":
//  - a sync carrying our `promenade.promotion` info whose revision is ours (a sync we requested), or
//  - an automated sync (auto-sync apps) whose revision is ours: auto-sync has no infos, and a revision that
//    is a fresh commit of ours can only have been chosen because of our push.
// An operation of ours for another revision (an earlier sync of the same promotion, a rollback) is not ours.
// `startedAfter`, when given, also rejects operation states that started before the stage began.
//
// The branch moved on after our sync (docs/argocd-races.md#branch-moved-on): `status.sync.revision` then
// names the newer commit and the app is OutOfSync, yet the live objects are still the ones our operation
// applied. Our revision counts as deployed when our operation's syncResult.revision is ours, it Succeeded,
// the app was reconciled after it, and health is Healthy: health is computed from live objects, which are ours
// until someone syncs again. The result says `superseded: true` so the caller can tell. If someone else's
// operation already replaced ours, we can no longer prove anything about our revision and we report need-sync.
import type { Application, ApplicationCondition, Operation, OperationState } from './types.js';

export const INFO_PROMOTION = 'promenade.promotion';
export const INFO_STAGE = 'promenade.stage';

export interface Expectation {
  /** The commit SHA our stage pushed. */
  revision: string;
  /** Value of our `promenade.promotion` info (the promotion id). */
  promotionTag: string;
  /** Operation states that started before this are not ours (compared at whole seconds, as Argo CD stores them). */
  startedAfter?: string | Date;
}

export type Readiness =
  | { kind: 'waiting'; reason: string }
  /** Nobody is syncing our revision. */
  | { kind: 'need-sync'; reason: string }
  /** Someone else's operation holds the app: wait for it to end, then decide again. */
  | { kind: 'foreign-operation'; reason: string }
  /** Our operation finished but the app has not been reconciled since: status is stale. */
  | { kind: 'need-hard-refresh'; reason: string }
  | {
      kind: 'ready';
      reason: string;
      revision: string;
      health: string;
      syncStatus: string;
      operationStartedAt?: string;
      finishedAt?: string;
      /** The branch moved past our revision after our sync (docs/argocd-races.md#branch-moved-on). */
      superseded: boolean;
    }
  | { kind: 'degraded'; message: string }
  | { kind: 'sync-failed'; message: string };

const FINAL_PHASES = new Set(['Succeeded', 'Failed', 'Error']);
const BLOCKING_CONDITIONS = new Set(['ComparisonError', 'InvalidSpecError']);

/** Whether two commit SHAs name the same commit: Argo CD and git may differ in case. */
export function sameRevision(a: string | undefined, b: string): boolean {
  return !!a && a.toLowerCase() === b.toLowerCase();
}

function revisionsOf(op: Operation | undefined, state?: OperationState): string[] {
  const out: string[] = [];
  if (op?.sync?.revision) out.push(op.sync.revision);
  if (op?.sync?.revisions) out.push(...op.sync.revisions);
  if (state?.syncResult?.revision) out.push(state.syncResult.revision);
  if (state?.syncResult?.revisions) out.push(...state.syncResult.revisions);
  return out;
}

function tagOf(op: Operation | undefined): string | undefined {
  return op?.info?.find((i) => i.name === INFO_PROMOTION)?.value;
}

function isOurOperation(op: Operation | undefined, state: OperationState | undefined, exp: Expectation): boolean {
  if (!op) return false;
  const revisionMatches = revisionsOf(op, state).some((r) => sameRevision(r, exp.revision));
  if (!revisionMatches) return false;
  const tag = tagOf(op);
  if (tag !== undefined) return tag === exp.promotionTag;
  return op.initiatedBy?.automated === true;
}

function startedInTime(state: OperationState, exp: Expectation): boolean {
  if (exp.startedAfter === undefined || !state.startedAt) return true;
  const after = Math.floor(new Date(exp.startedAfter).getTime() / 1000) * 1000;
  return Date.parse(state.startedAt) >= after;
}

function isOurState(state: OperationState | undefined, exp: Expectation): boolean {
  return !!state && isOurOperation(state.operation, state, exp) && startedInTime(state, exp);
}

/** ComparisonError / InvalidSpecError: Argo CD cannot render or compare the app at all. */
export function blockingCondition(app: Application): ApplicationCondition | undefined {
  return app.status?.conditions?.find((c) => BLOCKING_CONDITIONS.has(c.type ?? ''));
}

function short(rev: string | undefined): string {
  return rev ? rev.slice(0, 7) : '-';
}

function who(op: Operation | undefined): string {
  if (!op) return 'unknown';
  const tag = tagOf(op);
  if (tag) return `promotion ${tag}`;
  if (op.initiatedBy?.automated) return 'auto-sync';
  return op.initiatedBy?.username ? `user ${op.initiatedBy.username}` : 'unknown';
}

/** One line of the state that matters, for progress details and timeout messages. */
export function describeApplication(app: Application | undefined): string {
  if (!app) return 'no state seen yet';
  const st = app.status ?? {};
  const os = st.operationState;
  const parts = [
    `operation=${app.operation ? `${who(app.operation)}->${short(app.operation.sync?.revision)}` : 'none'}`,
    `lastOperation=${os ? `${os.phase ?? '?'} by ${who(os.operation)}->${short(os.syncResult?.revision ?? os.operation?.sync?.revision)}` : 'none'}`,
    `sync=${st.sync?.status || 'unknown'}@${short(st.sync?.revision)}`,
    `health=${st.health?.status || 'unknown'}`,
  ];
  if (os?.finishedAt) parts.push(`finishedAt=${os.finishedAt}`);
  if (st.reconciledAt) parts.push(`reconciledAt=${st.reconciledAt}`);
  if (os?.message) parts.push(`message=${JSON.stringify(os.message)}`);
  const cond = blockingCondition(app);
  if (cond) parts.push(`${cond.type}=${JSON.stringify(cond.message ?? '')}`);
  return parts.join(' ');
}

/** Health message of the app plus every Degraded resource, e.g. `Deployment dev/myapp: exceeded its progress deadline`. */
export function degradedMessage(app: Application): string {
  const st = app.status ?? {};
  const parts: string[] = [];
  if (st.health?.message) parts.push(st.health.message);
  for (const r of st.resources ?? []) {
    if (r.health?.status === 'Degraded') {
      const id = `${r.kind ?? '?'} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? '?'}`;
      parts.push(r.health.message ? `${id}: ${r.health.message}` : `${id} is Degraded`);
    }
  }
  return parts.length ? [...new Set(parts)].join('; ') : 'health is Degraded';
}

function syncFailedMessage(state: OperationState): string {
  const parts = [state.message || `operation ${state.phase}`];
  for (const r of state.syncResult?.resources ?? []) {
    if (r.status === 'SyncFailed' || r.hookPhase === 'Failed' || r.hookPhase === 'Error') {
      parts.push(`${r.kind ?? '?'} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? '?'}: ${r.message ?? r.status}`);
    }
  }
  return parts.join('; ');
}

export function decideReadiness(app: Application, exp: Expectation): Readiness {
  const st = app.status ?? {};
  const state = st.operationState;
  const ourState = isOurState(state, exp);
  // narrowed copy for the branches where ourState holds
  const mine = state as OperationState;

  // `operation` is set from the moment a sync is accepted until it is final, including a failed attempt waiting
  // for its retry (phase Running with finishedAt set). See docs/argocd-races.md#accepted-is-not-started,
  // #another-operation-in-progress and #retrying-is-not-final.
  if (app.operation) {
    if (!isOurOperation(app.operation, ourState ? state : undefined, exp)) {
      return { kind: 'foreign-operation', reason: `operation by ${who(app.operation)} to ${short(app.operation.sync?.revision)} in progress` };
    }
    if (!ourState) return { kind: 'waiting', reason: `our sync to ${short(exp.revision)} is accepted, not started yet` };
    if (mine.phase === 'Running' && mine.finishedAt) {
      return { kind: 'waiting', reason: `our sync attempt failed and waits for a retry: ${mine.message ?? ''}`.trim() };
    }
    return { kind: 'waiting', reason: `our sync is ${mine.phase ?? 'starting'}${mine.message ? `: ${mine.message}` : ''}` };
  }

  if (!state) return { kind: 'need-sync', reason: 'no operation has run on the app' };

  if (!ourState) {
    if (!FINAL_PHASES.has(state.phase ?? '')) {
      return { kind: 'foreign-operation', reason: `operation by ${who(state.operation)} is ${state.phase ?? 'pending'}` };
    }
    // Whatever ran last was not our operation, or ours was replaced: docs/argocd-races.md#someone-elses-operation.
    return { kind: 'need-sync', reason: `last operation (${state.phase} by ${who(state.operation)} to ${short(state.syncResult?.revision ?? state.operation?.sync?.revision)}) is not ours` };
  }

  if (!FINAL_PHASES.has(state.phase ?? '')) {
    return { kind: 'waiting', reason: `our sync is ${state.phase ?? 'pending'}` };
  }
  if (state.phase !== 'Succeeded') return { kind: 'sync-failed', message: syncFailedMessage(state) };

  // Succeeded only says the last wave was applied; status counts once reconciled after it
  // (docs/argocd-races.md#stale-reconcile).
  const finishedAt = state.finishedAt ? Date.parse(state.finishedAt) : undefined;
  const reconciledAt = st.reconciledAt ? Date.parse(st.reconciledAt) : undefined;
  if (finishedAt === undefined) return { kind: 'waiting', reason: 'our sync Succeeded but has no finishedAt yet' };
  if (reconciledAt === undefined || reconciledAt < finishedAt) {
    return { kind: 'need-hard-refresh', reason: `our sync finished at ${state.finishedAt}, app last reconciled at ${st.reconciledAt ?? 'never'}` };
  }

  const health = st.health?.status || 'Unknown';
  if (health === 'Degraded') {
    // Timestamps have whole seconds: a reconcile in the same second as finishedAt may have run BEFORE our
    // objects were applied and still show the previous rollout's Degraded (as when rolling back a broken one).
    // Only a reconcile in a later second proves the Degraded is about what we applied.
    if (reconciledAt <= finishedAt) {
      return { kind: 'need-hard-refresh', reason: `Degraded in a reconcile of the same second as our sync finished (${state.finishedAt}); confirming` };
    }
    return { kind: 'degraded', message: degradedMessage(app) };
  }
  const cond = blockingCondition(app);
  if (cond) return { kind: 'waiting', reason: `${cond.type}: ${cond.message ?? ''}` };

  const syncStatus = st.sync?.status || 'Unknown';
  const superseded = !sameRevision(st.sync?.revision, exp.revision);
  if (!superseded && syncStatus !== 'Synced') {
    return { kind: 'waiting', reason: `our revision was applied but the app is ${syncStatus}` };
  }
  if (health !== 'Healthy') {
    return { kind: 'waiting', reason: `health is ${health}${st.health?.message ? `: ${st.health.message}` : ''}` };
  }
  return {
    kind: 'ready',
    reason: superseded
      ? `our revision is deployed and Healthy; the branch has since moved to ${short(st.sync?.revision)}`
      : 'our revision is Synced and Healthy',
    revision: exp.revision,
    health,
    syncStatus,
    operationStartedAt: state.startedAt,
    finishedAt: state.finishedAt,
    superseded,
  };
}
