// Scenario 1: worker processes SIGKILLed and restarted at seeded-random moments while promotions commit, push,
// wait for Argo CD and roll back. Every promotion must end in its right state with each stage committed exactly
// once, and no promenade commit may exist without its promotion.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery } from '../../src/workflows/messages.js';
import type { PromotionEnvironment } from '../support/promotion-environment.js';
import { count, recordFigures } from './figures.js';
import { BASE_IMAGE, assertLinear, auditLedger, createServicesEnvironment, outcomeOf, remoteTip, seededRandom, sleep } from './support.js';

// Commits heartbeat, so a kill that lands mid-commit costs that promotion about 30 s (the heartbeat timeout), not
// the commit activity's 2-minute start-to-close timeout: 50 promotions of two stages each fit in a few minutes.
const N = 50;
const KILLS = 5;
const SEED = Number(process.env.PROMENADE_FAULT_SEED ?? 6);
const SERVICES = Array.from({ length: N }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
const broken = (i: number) => i % 5 === 4;
const imageOf = (i: number) => `registry.example.com/${SERVICES[i]}:2.0.${i}${broken(i) ? '-broken' : ''}`;

let env: PromotionEnvironment;
const workers: ChildProcess[] = [];

function polling(worker: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    worker.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('promenade worker polling')) resolve();
    });
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before polling`)));
  });
}

beforeAll(async () => {
  env = await createServicesEnvironment(SERVICES, [
    { name: 'dev', automated: true },
    { name: 'staging', automated: false },
  ]);
  env.sim.faults.failImages('*-broken', 'crash');
  workers.push(env.spawnWorker(), env.spawnWorker());
  // Kills are meant to land in the middle of promotion work, not in a worker's start-up.
  await Promise.all(workers.map(polling));
}, 180_000);
afterAll(async () => env?.close());

describe('worker crashes', () => {
  it(`${N} promotions survive ${KILLS} SIGKILLs of their worker processes`, async () => {
    const started = Date.now();
    const random = seededRandom(SEED);
    const startTip = await remoteTip(env);
    const handles = await Promise.all(SERVICES.map((app, i) => env.promote({ app, image: imageOf(i) }, `crash-${app}`)));
    const ids = handles.map((h) => h.workflowId);

    let done = false;
    const finished = Promise.all(ids.map((id) => outcomeOf(env, id))).finally(() => (done = true));
    const phases: string[] = [];
    let kills = 0;
    while (!done && kills < KILLS) {
      await Promise.race([sleep(2000 + random() * 6000), finished]);
      if (done) break;
      // Where the open promotions are at this moment: what the kill interrupts.
      for (const id of ids) {
        const status = await Promise.race([env.client.workflow.getHandle(id).query(statusQuery), sleep(2000).then(() => undefined)]).catch(() => undefined);
        if (status && !['promoted', 'rolled-back', 'failed'].includes(status.state)) phases.push(status.state === 'rolling-back' ? 'rolling-back' : (status.currentStage ?? status.state));
      }
      const victim = workers.splice(Math.floor(random() * workers.length), 1)[0];
      const exited = new Promise((resolve) => victim.once('exit', resolve));
      victim.kill('SIGKILL');
      await exited;
      kills++;
      workers.push(env.spawnWorker());
    }
    const outcomes = await Promise.race([
      finished,
      sleep(780_000).then(async () => {
        const open = await Promise.all(ids.map(async (id) => [id, await env.client.workflow.getHandle(id).query(statusQuery).catch((e) => String(e))] as const));
        throw new Error(`promotions still open after 780 s: ${JSON.stringify(open.filter(([, s]) => typeof s === 'string' || !['promoted', 'rolled-back'].includes(s.state)))}`);
      }),
    ]);

    const expectedStages = new Map(ids.map((id, i) => [id, broken(i) ? ['dev-sync', 'dev-sync-rollback'] : ['dev-sync', 'staging-promote']]));
    const audit = await auditLedger(env, expectedStages, startTip);
    await assertLinear(env, startTip);
    let lost = 0;
    for (const [i, app] of SERVICES.entries()) {
      const dev = await env.git('show', `origin/main:dev/${app}/deployment.yaml`);
      const staging = await env.git('show', `origin/main:staging/${app}/deployment.yaml`);
      const want = broken(i) ? { dev: BASE_IMAGE, staging: BASE_IMAGE } : { dev: imageOf(i), staging: imageOf(i) };
      if (!dev.includes(`image: ${want.dev}\n`) || !staging.includes(`image: ${want.staging}\n`)) lost++;
    }

    recordFigures({
      scenario: '1 Worker crashes',
      promotions: N,
      faults: { 'worker SIGKILL': kills, 'crashing image': SERVICES.filter((_, i) => broken(i)).length },
      outcomes: count(outcomes.map((o) => o.state)),
      duplicates: audit.duplicates,
      lostUpdates: lost + audit.missing,
      notes: `seed ${SEED}, 2 worker processes, kills hit ${Object.entries(count(phases)).map(([k, n]) => `${k} x${n}`).join(' ')}`,
      durationMs: Date.now() - started,
    });

    expect(kills).toBeGreaterThan(0);
    expect(outcomes.map((o) => o.state)).toEqual(SERVICES.map((_, i) => (broken(i) ? 'rolled-back' : 'promoted')));
    expect(audit.mismatched).toEqual([]);
    expect(audit.duplicates).toBe(0);
    expect(audit.orphans).toEqual([]);
    expect(lost).toBe(0);
    for (const [i, app] of SERVICES.entries()) {
      expect(env.deployedImage('dev', app)).toBe(broken(i) ? BASE_IMAGE : imageOf(i));
      if (!broken(i)) expect(env.deployedImage('staging', app)).toBe(imageOf(i));
    }
  }, 900_000);
});
