// The verifyChecks activity: runs an environment's checks (src/verification) with the worker's verification
// settings, heartbeating so a soak-long run is noticed if its worker dies.
import { Context } from '@temporalio/activity';
import type { VerificationConfig } from '../config/worker-config/verification.js';
import { runChecks } from '../verification/run-checks.js';
import type { PromotionActivities } from '../workflows/contract.js';

/** Heartbeats come from a timer: a check's interval may be longer than the heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 10_000;

export function createVerificationActivities(config: VerificationConfig | undefined): Pick<PromotionActivities, 'verifyChecks'> {
  return {
    async verifyChecks({ environment, during, soakSeconds }) {
      const context = Context.current();
      let measured = 0;
      const beat = setInterval(() => context.heartbeat({ measured }), HEARTBEAT_EVERY_MS);
      try {
        const outcome = await runChecks({
          checks: environment.checks ?? [],
          during,
          durationMs: during === 'soak' ? soakSeconds * 1000 : 0,
          config,
          signal: context.cancellationSignal,
          onMeasurement: () => {
            measured++;
          },
        });
        return { passed: outcome.passed, ...(outcome.failure ? { failure: outcome.failure } : {}), measurements: outcome.measurements };
      } finally {
        clearInterval(beat);
      }
    },
  };
}
