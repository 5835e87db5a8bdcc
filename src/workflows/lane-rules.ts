// The lane's rules as a pure function from what the lane knows to who may be where: which promotion holds each
// environment, who waits, who is superseded. Pure so every rule is unit-tested without a server (lane-rules.test.ts);
// the lane workflow (app-lane.ts) only feeds it sightings and tells promotions when their decision changed.
import type { LaneDecision, LaneRequest, PromotionSighting } from './contract.js';
import { FINAL_STATES, type PromotionStatus } from './promotion-status.js';

export interface LaneEntry {
  promotionId: string;
  /** Temporal's start time of the run: "newer" means started later. */
  startedAt: number;
  request?: LaneRequest;
  /** The environment the lane let this promotion into. */
  granted?: string;
  superseded?: { by: string; environment: string };
}

export interface LaneBook {
  entries: LaneEntry[];
  /** The newest promotion that entered each environment; kept after it ended, so prod only moves forward. */
  reached: Record<string, { promotionId: string; startedAt: number }>;
}

const ENDED_STATES = new Set<string>(FINAL_STATES);

const newer = (a: { promotionId: string; startedAt: number }, b: { promotionId: string; startedAt: number }) =>
  a.startedAt > b.startedAt || (a.startedAt === b.startedAt && a.promotionId > b.promotionId);

/**
 * Folds what inspectPromotions saw into the book: promotions that are not running (terminated, timed out,
 * completed, never a promotion of this app) or that reached an end state leave; the others say where they stand.
 */
export function applySightings(book: LaneBook, sightings: PromotionSighting[]): LaneBook {
  const entries = new Map(book.entries.map((e) => [e.promotionId, { ...e }]));
  for (const seen of sightings) {
    const entry = entries.get(seen.promotionId);
    if (!seen.running || (seen.state && ENDED_STATES.has(seen.state))) {
      entries.delete(seen.promotionId);
      continue;
    }
    if (seen.unanswered) continue;
    if (seen.startedAt === undefined) continue;
    const next: LaneEntry = entry ?? { promotionId: seen.promotionId, startedAt: seen.startedAt };
    next.startedAt = seen.startedAt;
    next.request = seen.request;
    // A promotion started before lane-v2 that its old lane had already let past the gate.
    if (seen.inside && seen.request) next.granted = seen.request.environment;
    // A promotion that moved on (or stepped out) no longer holds the environment it was let into.
    if (next.granted && (!next.request || next.request.environment !== next.granted || next.request.atGate)) next.granted = undefined;
    entries.set(seen.promotionId, next);
  }
  return { entries: [...entries.values()], reached: { ...book.reached } };
}

/** Applies the rules: supersede the older where the mode says so, then let promotions into free environments. */
export function arrange(book: LaneBook): LaneBook {
  const entries = book.entries.map((e) => ({ ...e }));
  const reached = { ...book.reached };
  const byAge = [...entries].sort((a, b) => (newer(a, b) ? 1 : newer(b, a) ? -1 : 0));
  const live = () => byAge.filter((e) => e.request && !e.superseded);

  // Latest wins by start time: under `supersede` anywhere, and in the last environment (prod) under both modes,
  // an older promotion never enters where a newer one already went, unless its caller said --allow-older.
  for (const entry of live()) {
    const request = entry.request!;
    const mark = reached[request.environment];
    if (!mark || mark.promotionId === entry.promotionId || !newer(mark, entry) || request.allowOlder) continue;
    if (entry.granted === request.environment) continue;
    if (request.concurrency === 'supersede' || request.last) entry.superseded = { by: mark.promotionId, environment: request.environment };
  }

  // Under `supersede`, a newer promotion reaching an environment stops an older one that has not finished it,
  // unless the older one is past that environment's approval gate (approved and inside, or approved and waiting
  // while the newer one still waits for its own approval).
  const current = live();
  for (let n = current.length - 1; n >= 0; n--) {
    const newest = current[n]!;
    if (newest.superseded || newest.request!.concurrency !== 'supersede') continue;
    const at = newest.request!;
    for (const older of current.slice(0, n)) {
      if (older.superseded || older.request!.environment !== at.environment) continue;
      const theirs = older.request!;
      const inside = older.granted === at.environment;
      const keep = inside ? theirs.gated : !theirs.atGate && theirs.gated && at.atGate;
      if (!keep) older.superseded = { by: newest.promotionId, environment: at.environment };
    }
  }

  // Entry: an environment admits one promotion at a time; a superseded holder still running keeps it until it
  // has stopped (its last step may still be settling), and under `queue` nobody passes an older promotion.
  const holders = new Map<string, LaneEntry>();
  for (const e of byAge) if (e.granted && e.request && e.request.environment === e.granted) holders.set(e.granted, e);
  for (const entry of live()) {
    const request = entry.request!;
    if (request.atGate || entry.granted === request.environment || holders.has(request.environment)) continue;
    if (request.concurrency === 'queue') {
      const blocked = live().some((o) => o !== entry && newer(entry, o) && o.request!.index <= request.index);
      if (blocked) continue;
    } else {
      const newerWaiting = live().some((o) => o !== entry && newer(o, entry) && o.request!.environment === request.environment && !o.request!.atGate);
      if (newerWaiting) continue;
    }
    entry.granted = request.environment;
    holders.set(request.environment, entry);
    const mark = reached[request.environment];
    if (!mark || newer(entry, mark)) reached[request.environment] = { promotionId: entry.promotionId, startedAt: entry.startedAt };
  }
  return { entries, reached };
}

export function decisionFor(book: LaneBook, promotionId: string): LaneDecision {
  const entry = book.entries.find((e) => e.promotionId === promotionId);
  if (!entry) return { kind: 'unknown' };
  if (entry.superseded) return { kind: 'superseded', ...entry.superseded };
  const request = entry.request;
  if (!request) return { kind: 'unknown' };
  if (request.atGate) return { kind: 'gate', environment: request.environment };
  if (entry.granted === request.environment) return { kind: 'enter', environment: request.environment };
  const holder = book.entries.find((e) => e.granted === request.environment && e.request?.environment === request.environment);
  const ahead = holder ?? [...book.entries].filter((o) => o !== entry && o.request && !o.superseded && newer(entry, o) && o.request.index <= request.index).sort((a, b) => a.startedAt - b.startedAt)[0];
  return { kind: 'wait', environment: request.environment, ...(ahead ? { for: ahead.promotionId } : {}) };
}

export function holdersOf(book: LaneBook): Record<string, string> {
  const holders: Record<string, string> = {};
  for (const e of book.entries) if (e.granted && e.request?.environment === e.granted) holders[e.granted] = e.promotionId;
  return holders;
}

/** A lane's input comes from whoever started it: keep only well-formed entries. */
export function restoreBook(raw: unknown): LaneBook & { pending: string[] } {
  const book: LaneBook & { pending: string[] } = { entries: [], reached: {}, pending: [] };
  if (typeof raw !== 'object' || raw === null) return book;
  const { entries, reached, pending } = raw as { entries?: unknown; reached?: unknown; pending?: unknown };
  if (Array.isArray(pending)) book.pending = pending.filter((id): id is string => typeof id === 'string').slice(0, 500);
  if (Array.isArray(entries)) {
    for (const e of entries.slice(0, 500)) {
      if (typeof e?.promotionId !== 'string' || !Number.isFinite(e?.startedAt)) continue;
      const entry: LaneEntry = { promotionId: e.promotionId, startedAt: e.startedAt };
      // Requests are not carried over: the lane asks every promotion again before it decides anything.
      if (typeof e.granted === 'string') entry.granted = e.granted;
      if (typeof e.superseded?.by === 'string' && typeof e.superseded?.environment === 'string') {
        entry.superseded = { by: e.superseded.by, environment: e.superseded.environment };
      }
      book.entries.push(entry);
    }
  }
  if (typeof reached === 'object' && reached !== null) {
    for (const [env, mark] of Object.entries(reached as Record<string, unknown>).slice(0, 50)) {
      const m = mark as { promotionId?: unknown; startedAt?: unknown };
      if (typeof m?.promotionId === 'string' && Number.isFinite(m?.startedAt)) book.reached[env] = { promotionId: m.promotionId, startedAt: m.startedAt as number };
    }
  }
  return book;
}

/**
 * Where a promotion stands, read from its own status query: the `lane` field since lane-v2; before it, derived from
 * its approval stage (old promotions used the lane only for the gate before prod).
 */
export function standingFromStatus(status: PromotionStatus): { request?: LaneRequest; inside?: boolean } {
  if (ENDED_STATES.has(status.state)) return {};
  if (status.lane !== undefined) return isLaneRequest(status.lane) ? { request: status.lane } : {};
  // A lane-v2 promotion without `lane` stands nowhere (done with the lane); only runs from before lane-v2 are
  // read from their approval stage.
  if (status.laneVersion === 2) return {};
  const approval = status.stages.find((s) => s.stage === 'approval');
  if (!approval?.environment || (approval.status !== 'running' && approval.status !== 'succeeded')) return {};
  const index = status.stages.filter((s) => s.stage.endsWith('-sync') || s.stage.endsWith('-promote')).findIndex((s) => s.environment === approval.environment);
  const request: LaneRequest = {
    environment: approval.environment,
    index: Math.max(index, 0),
    atGate: status.state === 'awaiting-approval',
    gated: true,
    last: true,
    concurrency: 'supersede',
    allowOlder: false,
  };
  return { request, inside: approval.status === 'succeeded' };
}

function isLaneRequest(value: unknown): value is LaneRequest {
  const r = value as Partial<LaneRequest> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.environment === 'string' &&
    Number.isInteger(r.index) &&
    typeof r.atGate === 'boolean' &&
    typeof r.gated === 'boolean' &&
    typeof r.last === 'boolean' &&
    (r.concurrency === 'supersede' || r.concurrency === 'queue') &&
    typeof r.allowOlder === 'boolean'
  );
}
