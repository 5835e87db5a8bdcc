// An environment's checks as the promotion runs them: once when the environment is healthy, and beside its soak,
// the first of soak and checks to fail stopping the other. Measurements go into the stage's record (the status
// query); a failed check fails the stage, which rolls back like any other failure after a commit.
import { ApplicationFailure, CancellationScope, patched } from '@temporalio/workflow';
import type { EnvironmentConfig } from '../config/pipeline.js';
import { verifyChecks } from './activities.js';
import type { StageRecord } from './promotion-status.js';

/** Runs recorded before checks existed have no checks, so they never reach this patch. */
export const CHECKS_PATCH = 'environment-checks';

export async function runEnvironmentChecks(record: StageRecord, env: EnvironmentConfig, during: 'healthy' | 'soak'): Promise<void> {
  if (!env.checks?.length || !patched(CHECKS_PATCH)) return;
  const result = await verifyChecks({ environment: env, during, soakSeconds: env.soakSeconds });
  record.checks = [...(record.checks ?? []), ...result.measurements];
  if (!result.passed) throw ApplicationFailure.nonRetryable(result.failure ?? 'a check failed', 'CheckFailed');
}

/** The soak, and beside it the environment's checks for as long; whichever fails first cancels the other. */
export async function soakWithChecks(soak: () => Promise<unknown>, record: StageRecord, env: EnvironmentConfig): Promise<void> {
  if (!env.checks?.length) {
    await soak();
    return;
  }
  const scope = new CancellationScope();
  const guard = (p: Promise<unknown>) => p.catch((err: unknown) => (scope.cancel(), Promise.reject(err)));
  await scope.run(() => Promise.all([guard(soak()), guard(runEnvironmentChecks(record, env, 'soak'))]));
}
