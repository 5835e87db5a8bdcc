// One lane per app: which promotion of the app may be in each environment, so overlapping promotions end right
// (`concurrency: supersede` or `queue`, see lane-rules.ts) and prod only moves forward. The lane is a workflow, not
// an in-memory lock, so the rules hold across every worker process and machine polling the task queue.
//
// Nobody's word is taken: a `lane-request` only names a promotion to look at; the lane asks Temporal whether that
// is a running promotion of this app (and since when), and asks the promotion's own status where it stands. It
// looks at every promotion it knows again on a timer, so one that ended without saying so (terminated, timed out,
// reset) is noticed within a minute. Promotions read the lane's decisions through its `lane-view` query.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LaneDecision, LaneMessage, PromotionActivities } from './contract.js';
import { applySightings, arrange, decisionFor, holdersOf, restoreBook, type LaneBook } from './lane-rules.js';
import { laneMessageSender, laneRequestSignal, laneSignal, laneViewQuery, type LaneNotice } from './messages.js';

/** Runs started before this patch keep the one-gate lane below until they hand over to a new run. */
export const LANE_V2_PATCH = 'lane-v2';

// Retried without a cap: a lane that gives up fails its workflow and forgets who holds what. Nothing here is
// terminal; Temporal being unreachable for a while only delays the lane.
const { inspectPromotions } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const { isPromotionRunning } = proxyActivities<PromotionActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });

/** How often a lane where a promotion waits looks at everyone again: a holder that died is noticed within a minute. */
const WATCH_INTERVAL = '45 seconds';
/** An empty lane wakes this rarely, only to keep its history short. */
const IDLE_INTERVAL = '1 hour';
const MAX_HISTORY = 2000;

export interface LaneState {
  /** The newest promotion waiting for approval. */
  waiting?: { promotionId: string; startedAt: number };
  /** The promotion changing the environments past the gate right now. */
  deploying?: string;
  /** Approved and waiting for `deploying` to finish. */
  next?: string;
  /** Promotions that sent a message the pre-v2 run had not handled when it handed over. */
  pending?: string[];
}

export async function appLane(initial: LaneState | (LaneBook & { pending?: string[] }) = {}): Promise<void> {
  if (!patched(LANE_V2_PATCH)) return legacyAppLane(initial as LaneState);
  return lane(initial);
}

async function lane(initial: unknown): Promise<void> {
  const app = appOfLane(workflowInfo().workflowId);
  const restored = restoreBook(fromLegacy(initial));
  let book: LaneBook = { entries: restored.entries, reached: restored.reached };
  const told = new Map<string, string>();
  const named = new Set<string>([...book.entries.map((e) => e.promotionId), ...restored.pending]);

  setHandler(laneRequestSignal, (message: unknown) => {
    const promotionId = laneMessageSender(message);
    if (!promotionId) {
      log.warn('lane-request dropped: not an object naming a promotionId', { message: preview(message) });
      return;
    }
    named.add(promotionId);
  });
  setHandler(laneViewQuery, () => ({
    holders: holdersOf(book),
    decisions: Object.fromEntries(book.entries.map((e) => [e.promotionId, decisionFor(book, e.promotionId)])),
    reached: book.reached,
  }));

  const tell = async (promotionId: string, decision: LaneDecision) => {
    const notice: LaneNotice =
      decision.kind === 'enter' ? { kind: 'prod-cleared' } : decision.kind === 'superseded' ? { kind: 'superseded', by: decision.by } : { kind: 'changed' };
    try {
      await getExternalWorkflowHandle(promotionId).signal(laneSignal, notice);
    } catch {
      // It has ended; the next look removes it.
    }
  };

  for (;;) {
    // Only a promotion waiting behind another needs the others watched: a thousand parked at their gates cost nothing.
    const someoneWaits = book.entries.some((e) => decisionFor(book, e.promotionId).kind === 'wait');
    if (named.size === 0) await condition(() => named.size > 0, someoneWaits ? WATCH_INTERVAL : IDLE_INTERVAL);
    const ids = [...new Set([...book.entries.map((e) => e.promotionId), ...named])];
    named.clear();
    if (ids.length > 0) {
      book = arrange(applySightings(book, await inspectPromotions({ app, promotionIds: ids })));
      for (const id of [...told.keys()]) if (!book.entries.some((e) => e.promotionId === id)) told.delete(id);
      for (const entry of book.entries) {
        const decision = decisionFor(book, entry.promotionId);
        const key = JSON.stringify(decision);
        if (told.get(entry.promotionId) === key) continue;
        told.set(entry.promotionId, key);
        await tell(entry.promotionId, decision);
      }
    }
    // On every path, the idle one included: a year of hourly wake-ups must not grow one history without bound.
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY) {
      await condition(allHandlersFinished);
      // Promotions named since the last look travel along; signals arriving during the hand-over are carried by
      // the server into the new run, which looks at every promotion it knows before deciding anything.
      await continueAsNew<typeof appLane>({ ...book, pending: [...named] });
    }
  }
}

/** `promenade-lane:<task queue>:<app>`; app names cannot contain ":". */
function appOfLane(workflowId: string): string {
  return workflowId.slice(workflowId.lastIndexOf(':') + 1);
}

/** A pre-v2 lane's state handed over: the promotions it knew are looked at again; what they hold, they say. */
function fromLegacy(initial: unknown): unknown {
  if (typeof initial !== 'object' || initial === null || 'entries' in initial) return initial;
  const legacy = initial as LaneState;
  const ids = [legacy.waiting?.promotionId, legacy.deploying, legacy.next].filter((id): id is string => typeof id === 'string');
  return { entries: [], reached: {}, pending: [...ids, ...(legacy.pending ?? [])] };
}

function preview(message: unknown): string {
  try {
    return (JSON.stringify(message) ?? String(message)).slice(0, 200);
  } catch {
    return String(message).slice(0, 200);
  }
}

/** The lane before lane-v2, unchanged so its histories replay; a live run of it hands over to lane-v2 at once. */
async function legacyAppLane(initial: LaneState = {}): Promise<void> {
  const state: LaneState = { ...initial };
  const inbox: LaneMessage[] = [];
  setHandler(laneRequestSignal, (message: unknown) => {
    if (!laneMessageSender(message)) {
      log.warn('lane-request dropped: not an object naming a promotionId', { message: preview(message) });
      return;
    }
    inbox.push(message as LaneMessage);
  });

  const tell = async (promotionId: string, kind: 'superseded' | 'prod-cleared', by?: string) => {
    try {
      await getExternalWorkflowHandle(promotionId).signal(laneSignal, { kind, by });
    } catch {
      // The promotion has already ended; there is nobody left to tell.
    }
  };
  const newer = (a: { promotionId: string; startedAt: number }, b: { promotionId: string; startedAt: number }) =>
    a.startedAt > b.startedAt || (a.startedAt === b.startedAt && a.promotionId > b.promotionId);

  const handle = async (message: LaneMessage) => {
    switch (message.kind) {
      case 'claim': {
        if (state.deploying === message.promotionId || state.next === message.promotionId) return;
        const claim = { promotionId: message.promotionId, startedAt: message.startedAt };
        if (!state.waiting || state.waiting.promotionId === claim.promotionId) state.waiting = claim;
        else if (newer(claim, state.waiting)) {
          await tell(state.waiting.promotionId, 'superseded', claim.promotionId);
          state.waiting = claim;
        } else await tell(claim.promotionId, 'superseded', state.waiting.promotionId);
        return;
      }
      case 'enter-prod': {
        if (state.waiting && state.waiting.promotionId !== message.promotionId) {
          return tell(message.promotionId, 'superseded', state.waiting.promotionId);
        }
        state.waiting = undefined;
        if (state.deploying && state.deploying !== message.promotionId && (await isPromotionRunning({ promotionId: state.deploying }))) {
          state.next = message.promotionId;
          return;
        }
        state.deploying = message.promotionId;
        return tell(message.promotionId, 'prod-cleared');
      }
      case 'release': {
        if (state.waiting?.promotionId === message.promotionId) state.waiting = undefined;
        if (state.next === message.promotionId) state.next = undefined;
        if (state.deploying === message.promotionId) {
          state.deploying = state.next;
          state.next = undefined;
          if (state.deploying) await tell(state.deploying, 'prod-cleared');
        }
        return;
      }
    }
  };

  for (;;) {
    const busy = () => inbox.length > 0;
    const gotMail = await condition(busy, IDLE_INTERVAL);
    // Past its recorded history, a pre-v2 run continues as a lane-v2 run carrying what it knows.
    if (patched(LANE_V2_PATCH)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof appLane>({ ...state, pending: inbox.map((m) => m.promotionId) });
    }
    if (!gotMail) {
      if (!state.waiting && !state.deploying && !state.next) return;
      continue;
    }
    while (inbox.length > 0) await handle(inbox.shift()!);
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2000) {
      await continueAsNew<typeof appLane>(state);
    }
  }
}
