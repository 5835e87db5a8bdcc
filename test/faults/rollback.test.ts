// Scenario 5: a prod rollout that degrades and soaks that fail, also with unrelated commits on top of ours, end
// reverted, synced and healthy on the previous image, every round. The soak is long (60 s) so that the fault,
// injected once the soak has started, always lands inside it; a failing soak ends as soon as prod is Degraded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSignal } from '../../src/workflows/messages.js';
import type { PromotionEnvironment } from '../support/promotion-environment.js';
import { count, recordFigures } from './figures.js';
import { BASE_IMAGE, assertLinear, auditLedger, commitAsHuman, createServicesEnvironment, outcomeOf, remoteFile, remoteTip } from './support.js';

const ROUNDS = 3;
type Fault = 'prod degraded' | 'soak failure' | 'soak failure, commits on top';
const CASES: Array<{ app: string; fault: Fault }> = [
  { app: 'r-degrade', fault: 'prod degraded' },
  { app: 'r-soak', fault: 'soak failure' },
  { app: 'r-on-top', fault: 'soak failure, commits on top' },
];

let env: PromotionEnvironment;

beforeAll(async () => {
  env = await createServicesEnvironment(
    CASES.map((c) => c.app),
    [
      { name: 'dev', automated: true },
      { name: 'staging', automated: false },
      { name: 'prod', automated: false, pipeline: '{ name: prod, approval: { approvers: [alice], required: 1, timeout: 5m }, soak: 60s }' },
    ],
  );
  await env.startWorker();
}, 180_000);
afterAll(async () => env?.close());

function appStatus(name: string) {
  const app = env.sim.getApplication(name) as { status?: { sync?: { status?: string }; health?: { status?: string } } } | undefined;
  return { sync: app?.status?.sync?.status, health: app?.status?.health?.status };
}

describe('rollback', () => {
  it(`ends reverted and healthy every time (${ROUNDS} rounds of ${CASES.length} faults)`, async () => {
    const started = Date.now();
    const startTip = await remoteTip(env);
    const states: string[] = [];
    const expected = new Map<string, string[]>();
    let unrelated = 0;
    let lost = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all(
        CASES.map(async ({ app, fault }) => {
          const image = `registry.example.com/${app}:9.${round}.0`;
          const handle = await env.promote({ app, image }, `rollback-${app}-${round}`);
          expected.set(handle.workflowId, ['dev-sync', 'staging-promote', 'prod-promote', 'prod-promote-rollback']);
          await env.waitForState(handle.workflowId, ['awaiting-approval'], 120_000);
          if (fault === 'prod degraded') env.sim.faults.failImages(image, 'pull');
          await handle.signal(approveSignal, { approver: 'alice' });
          if (fault !== 'prod degraded') {
            await env.waitForState(handle.workflowId, ['verifying'], 120_000);
            if (fault === 'soak failure, commits on top') {
              await commitAsHuman(env, `notes/${app}-${round}.md`, `unrelated ${round}\n`, `Unrelated change ${round}`);
              unrelated++;
            }
            env.sim.faults.failImages(image, 'crash');
          }
          const outcome = await outcomeOf(env, handle.workflowId);
          states.push(outcome.state);
          expect(outcome.state, `${fault}: ${outcome.failure?.message}`).toBe('rolled-back');
          expect(outcome.failure?.message).toMatch(/rolled back prod \([0-9a-f]{12}\)/);
          expect(env.deployedImage('prod', app)).toBe(BASE_IMAGE);
          expect(appStatus(`${app}-prod`)).toEqual({ sync: 'Synced', health: 'Healthy' });
          expect(await remoteFile(env, `prod/${app}/deployment.yaml`)).toContain(`image: ${BASE_IMAGE}\n`);
          // Staging is known good and keeps the new image: only the failed environment is rolled back.
          expect(await remoteFile(env, `staging/${app}/deployment.yaml`)).toContain(`image: ${image}\n`);
        }),
      );
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const note = await remoteFile(env, `notes/r-on-top-${round}.md`).catch(() => '');
      if (note !== `unrelated ${round}\n`) lost++;
    }
    const audit = await auditLedger(env, expected, startTip);
    await assertLinear(env, startTip);
    recordFigures({
      scenario: '5 Rollback',
      promotions: ROUNDS * CASES.length,
      faults: { 'prod degraded': ROUNDS, 'soak failure': 2 * ROUNDS, 'unrelated commit on top': unrelated },
      outcomes: count(states),
      duplicates: audit.duplicates,
      lostUpdates: lost + audit.missing,
      durationMs: Date.now() - started,
    });
    expect(audit.mismatched).toEqual([]);
    expect(audit.duplicates).toBe(0);
    expect(lost).toBe(0);
  }, 420_000);
});
