// The promotion's activities as the workflow calls them: each proxy states its timeouts and retries, and why.
import { ActivityCancellationType, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PromotionActivities } from './contract.js';
import { NON_RETRYABLE_TYPES } from '../failures.js';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_TYPES };

const shortStep = { startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 10 } } as const;
const queued = proxyActivities<PromotionActivities>(shortStep);
// Reading promenade.yaml and messaging the app lane take milliseconds: run as local activities they skip the task
// queue round trip and the extra workflow task each queued activity costs, and they never wait for a slot behind
// the long, mostly idle Argo CD waits. Runs started before this change replay with queued activities (see patched).
const local = proxyLocalActivities<PromotionActivities>(shortStep);
export const LOCAL_ACTIVITIES_PATCH = 'local-pipeline-and-lane-activities';

/** The short steps, local or queued as the run's history says; call once, at the start of the run. */
export function shortSteps(): Pick<PromotionActivities, 'loadPipeline' | 'signalAppLane'> {
  const { loadPipeline, signalAppLane } = patched(LOCAL_ACTIVITIES_PATCH) ? local : queued;
  return { loadPipeline, signalAppLane };
}

// Git is retried a bounded number of times: an unreachable remote must end in a clear failure, not hang.
// Commits heartbeat, so one whose worker died is retried elsewhere after 30 s, not after the 2-minute timeout.
export const { commitImage, revertStage } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 8 },
});
// Waits heartbeat, so a worker that dies mid-wait is noticed in 30 s and the wait resumes elsewhere.
const waits = { startToCloseTimeout: '30 minutes', heartbeatTimeout: '30 seconds', retry: { ...retry, maximumAttempts: 10 } } as const;
export const { syncEnvironment, verifyHealth } = proxyActivities<PromotionActivities>(waits);

/**
 * The same waits for lane-v2 promotions: one the lane cuts short (superseded) is awaited until it has really
 * stopped, so it cannot touch the environment after the newer promotion came in (see LaneSeat.guard).
 */
export const guardedWaits = proxyActivities<PromotionActivities>({ ...waits, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
// Checks measure on every interval through a soak: as long as the longest soak, heartbeating from a timer.
export const { verifyChecks } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 5 },
});
