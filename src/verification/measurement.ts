// One measurement of a check and the verdict over a run of them, in Argo Rollouts' terms: each measurement is
// Successful, Failed, Inconclusive (neither condition held) or Error (it could not be taken); a run fails once
// failures exceed failureLimit, inconclusive ones exceed inconclusiveLimit, or consecutive errors exceed errorLimit.
// An error is never a pass: a check that cannot run fails with the cause once its errors run out.

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface CheckMeasurement {
  check: string;
  kind: 'http' | 'prometheus';
  /** `healthy` (once the environment is healthy) or `soak`. */
  during: 'healthy' | 'soak';
  at: string;
  phase: MeasurementPhase;
  /** What was measured: the query's result, or the status and a body excerpt. */
  value?: string;
  message?: string;
}

export interface RunLimits {
  failureLimit: number;
  errorLimit: number;
  inconclusiveLimit?: number;
}

export type RunVerdict = { kind: 'continue' } | { kind: 'failed'; reason: string };

export function runVerdict(measurements: readonly CheckMeasurement[], limits: RunLimits): RunVerdict {
  const failed = measurements.filter((m) => m.phase === 'Failed');
  if (failed.length > limits.failureLimit) {
    return { kind: 'failed', reason: `${failed.length} failed measurement(s), more than failureLimit ${limits.failureLimit}; last: ${describe(failed.at(-1)!)}` };
  }
  const inconclusive = measurements.filter((m) => m.phase === 'Inconclusive');
  if (limits.inconclusiveLimit !== undefined && inconclusive.length > limits.inconclusiveLimit) {
    return { kind: 'failed', reason: `${inconclusive.length} inconclusive measurement(s), more than inconclusiveLimit ${limits.inconclusiveLimit}; last: ${describe(inconclusive.at(-1)!)}` };
  }
  let errors = 0;
  for (let i = measurements.length - 1; i >= 0 && measurements[i]!.phase === 'Error'; i--) errors++;
  if (errors > limits.errorLimit) {
    return { kind: 'failed', reason: `could not be measured ${errors} times in a row: ${measurements.at(-1)!.message ?? 'error'}` };
  }
  return { kind: 'continue' };
}

export function describe(m: CheckMeasurement): string {
  return [m.value !== undefined ? `value ${m.value}` : undefined, m.message].filter(Boolean).join(': ') || m.phase;
}
