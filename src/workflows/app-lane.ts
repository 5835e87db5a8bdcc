// One lane per app: at most one promotion of an app goes past staging at a time, and a newer promotion
// supersedes an older one still waiting for approval. The lane is a workflow, not an in-memory lock, so the
// rule holds across every worker process and machine polling the task queue.
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LaneMessage, PromotionActivities } from './contract.js';
import { laneRequestSignal, laneSignal } from './messages.js';

const { isPromotionRunning } = proxyActivities<PromotionActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });

export interface LaneState {
  /** The newest promotion waiting for approval. */
  waiting?: { promotionId: string; startedAt: number };
  /** The promotion changing the environments past the gate right now. */
  deploying?: string;
  /** Approved and waiting for `deploying` to finish. */
  next?: string;
}

const IDLE_TIMEOUT = '1 hour';

export async function appLane(initial: LaneState = {}): Promise<void> {
  const state: LaneState = { ...initial };
  const inbox: LaneMessage[] = [];
  setHandler(laneRequestSignal, (message) => void inbox.push(message));

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
          // Only the newest waiting promotion may proceed; this one lost while its approval was in flight.
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
    const gotMail = await condition(busy, IDLE_TIMEOUT);
    if (!gotMail) {
      if (!state.waiting && !state.deploying && !state.next) return;
      continue;
    }
    while (inbox.length > 0) await handle(inbox.shift()!);
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2000) {
      // Signals that arrive during the hand-over are carried by the server into the new run.
      await continueAsNew<typeof appLane>(state);
    }
  }
}
