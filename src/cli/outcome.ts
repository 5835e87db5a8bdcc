// How a promotion ended, as CI sees it: the state and the exit code (exit-codes.ts) for `promote --wait` and
// `cancel --wait`. A cancelled promotion with nothing half-done ends `cancelled`; one cancelled while an
// environment was changed but not yet verified rolls that back first and ends like any rollback. A terminated or timed-out one ran no rollback, so
// whatever it changed may still be deployed: a human has to look, like a failed rollback.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { PromotionResult, PromotionStatus } from '../workflows/promotion-status.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export type OutcomeState = PromotionResult['state'] | 'failed' | 'cancelled' | 'terminated' | 'started';

export interface Outcome {
  state: OutcomeState;
  failure?: string;
  status?: PromotionStatus;
}

const OUTCOME_EXIT: Record<OutcomeState, ExitCode> = {
  promoted: EXIT.ok,
  started: EXIT.ok,
  rejected: EXIT.rejected,
  expired: EXIT.expired,
  superseded: EXIT.superseded,
  'rolled-back': EXIT.rolledBack,
  'rollback-failed': EXIT.rollbackFailed,
  terminated: EXIT.rollbackFailed,
  cancelled: EXIT.cancelled,
  failed: EXIT.failed,
};

export function exitCodeFor(state: OutcomeState): ExitCode {
  return OUTCOME_EXIT[state] ?? EXIT.failed;
}

/** Failure types the workflow ends with, as the state they stand for. */
const FAILURE_STATE: Record<string, OutcomeState> = { PromotionRolledBack: 'rolled-back', RollbackFailed: 'rollback-failed' };

/** The outcome of a promotion's failure as handle.result() throws it; anything else is rethrown. */
export function outcomeOfFailure(err: unknown): Outcome {
  if (!(err instanceof WorkflowFailedError)) throw err;
  const cause = err.cause;
  // The workflow ends cancelled only when nothing was left half-done: environments it finished keep the image.
  if (cause instanceof CancelledFailure) return { state: 'cancelled', failure: 'cancelled with nothing to roll back (environments it had finished keep the new image)' };
  if (cause instanceof TerminatedFailure || cause instanceof TimeoutFailure) {
    const how = cause instanceof TerminatedFailure ? 'terminated' : 'timed out';
    return { state: 'terminated', failure: `${how}: no rollback ran, so an environment it changed may be left on the new image; check \`promenade status\` and Argo CD (cancel promotions, never terminate them)` };
  }
  const type = cause instanceof ApplicationFailure ? cause.type : undefined;
  const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as PromotionStatus | undefined) : undefined;
  return { state: (type && FAILURE_STATE[type]) || 'failed', failure: cause?.message ?? err.message, ...(details ? { status: details } : {}) };
}

export async function awaitOutcome(handle: WorkflowHandle): Promise<Outcome> {
  try {
    const result = (await handle.result()) as PromotionResult;
    return { state: result.state, status: result.status };
  } catch (err) {
    return outcomeOfFailure(err);
  }
}
