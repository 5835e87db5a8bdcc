// Workflow IDs and the default task queue: one home, because IDs double as locks (one promotion per app and
// image, one lane per app) and every client must spell them the same way.

/** The workers' default task queue. */
export const TASK_QUEUE = 'promenade';

/**
 * Workflow IDs say what they are. Starting the same app and image again while it runs attaches to the running
 * promotion (CI retries are harmless); once it has ended, the same ID may start a new run.
 */
export function promotionWorkflowId(app: string, image: string): string {
  return `promote:${app}:${image}`;
}

/** The app's lane workflow (see workflows/app-lane.ts); one per app among the workers of a task queue. */
export function laneWorkflowId(app: string, taskQueue: string): string {
  return `promenade-lane:${taskQueue}:${app}`;
}

/**
 * The single-use register's entry for one ID token (see workflows/token-use.ts): keyed by the issuer and the token
 * alone, not the task queue, because a token is accepted once across every promotion of the namespace.
 */
export function tokenUseWorkflowId(useKey: string): string {
  return `promenade-token-use:${useKey}`;
}
