// Every failure an activity raises carries one of these types, and the type alone tells the workflow what to
// do: retry (Temporal's retry policy does it), give up, or roll back what the stage committed.
import { ApplicationFailure } from '@temporalio/common';

/** Terminal: no retry can fix these. */
export const TERMINAL = {
  /** promenade.yaml or workflow input broke a rule; nothing was committed. */
  invalidConfig: 'InvalidConfig',
  invalidInput: 'InvalidInput',
  /** Argo CD said 401, 403 or 404: credentials or names are wrong. */
  argocdAccess: 'ArgoCDAccessDenied',
  /** A manifest edit or revert conflicts with what is on the branch. */
  mergeConflict: 'MergeConflict',
  /** The environment rolled out and ended Degraded, or its sync failed: roll back. */
  degraded: 'Degraded',
  syncFailed: 'SyncFailed',
  /** The git remote refused a push by its own policy (protected branch, pre-receive hook): retrying cannot help. */
  pushRefused: 'PushRefused',
  /** Waited past the stage deadline for Argo CD. */
  waitTimeout: 'WaitTimeout',
  /** A later commit carries ours but declares another image: the environment moved on, nothing to roll back. */
  superseded: 'Superseded',
} as const;

/** Retryable: transient by nature; the retry policy backs off. */
export const RETRYABLE = {
  argocdUnavailable: 'ArgoCDUnavailable',
  pushRejected: 'PushRejected',
  gitUnavailable: 'GitUnavailable',
  /** An OpenID Connect issuer's discovery document or keys could not be fetched: not the token's fault. */
  issuerUnavailable: 'IssuerUnavailable',
} as const;

export const NON_RETRYABLE_TYPES: string[] = Object.values(TERMINAL);

export function terminal(type: (typeof TERMINAL)[keyof typeof TERMINAL], message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

export function retryable(type: (typeof RETRYABLE)[keyof typeof RETRYABLE], message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}

/** What went wrong, in one line: activity failures wrap the activity's own error, and its cause says it. */
export function failureMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}
