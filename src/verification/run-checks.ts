// Runs an environment's checks, all at once, for one phase: `healthy` (right after the environment is Synced and
// Healthy: each check until it has its successes or its count) or `soak` (measuring on every interval until the
// soak is over, and at least that much). The first check to fail ends the run with its reason; the others stop.
import type { CheckConfig } from '../config/pipeline.js';
import type { VerificationConfig } from '../config/worker-config/verification.js';
import { measureHttp } from './http-check.js';
import { runVerdict, type CheckMeasurement } from './measurement.js';
import { checkProblems } from './policy.js';
import { measurePrometheus } from './prometheus-check.js';

export interface RunChecksInput {
  checks: CheckConfig[];
  during: CheckMeasurement['during'];
  /** The soak's length; 0 in the healthy phase. */
  durationMs: number;
  config: VerificationConfig | undefined;
  signal?: AbortSignal;
  onMeasurement?: (m: CheckMeasurement) => void;
}

export interface ChecksOutcome {
  passed: boolean;
  /** `check <name>: <reason>` of the first check that failed. */
  failure?: string;
  /** The latest measurements of each check (at most KEEP per check), oldest first. */
  measurements: CheckMeasurement[];
  /** Measurements taken in all, per check. */
  counts: Record<string, number>;
}

const KEEP = 20;

export async function runChecks(input: RunChecksInput): Promise<ChecksOutcome> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  const counts: Record<string, number> = {};
  const kept: CheckMeasurement[] = [];
  let failure: string | undefined;
  try {
    await Promise.all(
      input.checks.map(async (check) => {
        const reason = await runOne(check, input, stop.signal, (m) => {
          counts[check.name] = (counts[check.name] ?? 0) + 1;
          kept.push(m);
          const mine = kept.filter((k) => k.check === check.name);
          if (mine.length > KEEP) kept.splice(kept.indexOf(mine[0]!), 1);
          input.onMeasurement?.(m);
        });
        if (reason && !failure) {
          failure = `check ${check.name}: ${reason}`;
          stop.abort();
        }
      }),
    );
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
  }
  if (input.signal?.aborted) throw input.signal.reason instanceof Error ? input.signal.reason : new Error('cancelled');
  return { passed: failure === undefined, ...(failure ? { failure } : {}), measurements: kept, counts };
}

/** Measures one check until it passes (undefined) or fails (the reason), or `signal` stops it. */
async function runOne(check: CheckConfig, input: RunChecksInput, signal: AbortSignal, record: (m: CheckMeasurement) => void): Promise<string | undefined> {
  const problems = checkProblems(check, input.config);
  if (problems.length) return problems.join('; ');
  const config = input.config!;
  const started = Date.now();
  const taken: CheckMeasurement[] = [];
  const limits = { failureLimit: check.failureLimit, errorLimit: check.errorLimit, ...(check.kind === 'prometheus' ? { inconclusiveLimit: check.inconclusiveLimit } : {}) };
  while (!signal.aborted) {
    const m =
      check.kind === 'http'
        ? await measureHttp(check, config, input.during, signal)
        : await measurePrometheus(check, config.prometheus[check.server]!.url, input.during, signal);
    if (signal.aborted) return undefined;
    taken.push(m);
    record(m);
    const verdict = runVerdict(taken, limits);
    if (verdict.kind === 'failed') return verdict.reason;
    // Errors never count towards passing: only measurements that were actually taken do.
    const enough =
      check.kind === 'http'
        ? trailing(taken, 'Successful') >= check.successes
        : m.phase !== 'Error' && taken.filter((t) => t.phase !== 'Error').length >= check.count;
    if (enough && Date.now() - started >= input.durationMs) return undefined;
    await sleep(check.intervalSeconds * 1000, signal);
  }
  return undefined;
}

function trailing(list: CheckMeasurement[], phase: CheckMeasurement['phase']): number {
  let n = 0;
  for (let i = list.length - 1; i >= 0 && list[i]!.phase === phase; i--) n++;
  return n;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
