// Scenario 4: git misbehaving. Another writer pushes to the same branch every 100 ms while promotions land
// (nothing lost on either side, history linear, and the remote refuses any force push outright); the remote
// disappears for a few seconds (retried, then lands); a revert that conflicts (the recorded image is restored).
import { execFile } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';
import { approveSignal } from '../../src/workflows/messages.js';
import type { PromotionEnvironment } from '../support/promotion-environment.js';
import { count, recordFigures } from './figures.js';
import { BASE_IMAGE, assertLinear, auditLedger, commitAsHuman, createServicesEnvironment, outcomeOf, promenadeCommits, remoteTip, sleep } from './support.js';

const exec = promisify(execFile);
const RACERS = ['g-1', 'g-2', 'g-3', 'g-4'];
const GATED = '{ environments: [{ name: dev, approval: false, soak: 0s }, { name: staging, approval: { approvers: [alice], required: 1, timeout: 10m }, soak: 0s }] }';
const SOAKED = '{ environments: [{ name: dev, approval: false, soak: 0s }, { name: staging, approval: false, soak: 60s }] }';

let env: PromotionEnvironment;
let bare: string;
const WRITER_WINDOW_MS = 90_000;
const figures = { promotions: 0, faults: {} as Record<string, number>, states: [] as string[], duplicates: 0, lost: 0, notes: [] as string[] };
const started = Date.now();

beforeAll(async () => {
  env = await createServicesEnvironment(
    [...RACERS, 'g-gate', 'g-revert'],
    [
      { name: 'dev', automated: true },
      { name: 'staging', automated: false },
    ],
    { appEntries: { 'g-gate': GATED, 'g-revert': SOAKED } },
  );
  bare = join(env.root, 'gitops.git');
  // Any force push or branch deletion is refused by the remote itself, so none can slip through unnoticed.
  await exec('git', ['-C', bare, 'config', 'receive.denyNonFastForwards', 'true']);
  await exec('git', ['-C', bare, 'config', 'receive.denyDeletes', 'true']);
  await env.startWorker();
}, 180_000);
afterAll(async () => {
  recordFigures({
    scenario: '4 Git trouble',
    promotions: figures.promotions,
    faults: figures.faults,
    outcomes: count(figures.states),
    duplicates: figures.duplicates,
    lostUpdates: figures.lost,
    notes: figures.notes.join('; '),
    durationMs: Date.now() - started,
  });
  await env?.close();
});

/** Another writer: a commit of its own every 100 ms, pushed without force, rebased when it loses a race. */
function startOtherWriter(dir: string) {
  const git = (...args: string[]) => exec('git', ['-C', dir, '-c', 'user.name=other', '-c', 'user.email=other@example.com', ...args]);
  const pushed: number[] = [];
  let rejected = 0;
  let stop = false;
  const running = (async () => {
    await exec('git', ['clone', '--quiet', env.repositoryUrl, dir]);
    for (let n = 1; !stop; n++) {
      await exec('sh', ['-c', `mkdir -p "${dir}/other" && echo ${n} > "${dir}/other/${n}.txt"`]);
      await git('add', `other/${n}.txt`);
      await git('commit', '--quiet', '-m', `other writer ${n}`);
      for (;;) {
        try {
          await git('push', '--quiet', 'origin', 'HEAD:main');
          pushed.push(n);
          break;
        } catch {
          rejected++;
          await git('pull', '--quiet', '--rebase', 'origin', 'main');
        }
      }
      await sleep(100);
    }
  })();
  return {
    pushed,
    rejected: () => rejected,
    async stop() {
      stop = true;
      await running;
    },
  };
}

describe('git trouble', () => {
  it('another writer pushing every 100 ms: no lost update on either side, no force push', async () => {
    const startTip = await remoteTip(env);
    const writer = startOtherWriter(join(env.root, 'other-writer'));
    await sleep(1000);
    const handles = await Promise.all(RACERS.map((app, i) => env.promote({ app, image: `registry.example.com/${app}:4.0.${i}` })));
    const finished = Promise.all(handles.map((h) => outcomeOf(env, h.workflowId)));
    // The writer keeps pushing until our commits have interleaved with its own for a while, or for a bounded
    // window: on a loaded machine a writer that never pauses can win every race for longer than a test should wait.
    let done = false;
    void finished.finally(() => (done = true));
    const windowEnd = Date.now() + WRITER_WINDOW_MS;
    let firstLanded: number | undefined;
    while (!done && Date.now() < windowEnd && (firstLanded === undefined || Date.now() < firstLanded + 10_000)) {
      await sleep(1000);
      if ((await promenadeCommits(env, startTip)).length > 0) firstLanded ??= Date.now();
    }
    await writer.stop();
    await env.git('fetch', '--quiet', 'origin');
    const order = (await env.git('log', '--reverse', '--format=%s', `${startTip}..origin/main`)).split('\n');
    const lastOther = order.map((subject) => subject.startsWith('other writer')).lastIndexOf(true);
    // Ours that the other writer's later commits were stacked on: landed in the middle of its pushing.
    const landedDuringWriter = order.slice(0, lastOther).filter((subject) => subject.startsWith('promote ')).length;
    const outcomes = await finished;
    figures.promotions += RACERS.length;
    figures.states.push(...outcomes.map((o) => o.state));
    figures.faults['other writer pushes'] = writer.pushed.length;
    figures.faults['other writer pushes that lost a race and rebased'] = writer.rejected();
    figures.notes.push(`${landedDuringWriter} of ${RACERS.length * 2} stage commits landed while the other writer was pushing`);

    await assertLinear(env, startTip);
    const subjects = (await env.git('log', '--format=%s', `${startTip}..origin/main`)).split('\n');
    const missingOther = writer.pushed.filter((n) => !subjects.includes(`other writer ${n}`));
    const audit = await auditLedger(env, new Map(handles.map((h) => [h.workflowId, ['dev-sync', 'staging-promote']])), startTip);
    let missingOurs = 0;
    for (const [i, app] of RACERS.entries()) {
      if (!(await env.git('show', `origin/main:staging/${app}/deployment.yaml`)).includes(`image: registry.example.com/${app}:4.0.${i}\n`)) missingOurs++;
    }
    figures.duplicates += audit.duplicates;
    figures.lost += missingOther.length + missingOurs + audit.missing;

    expect(outcomes.map((o) => o.state)).toEqual(RACERS.map(() => 'promoted'));
    expect(writer.pushed.length).toBeGreaterThan(5);
    expect(missingOther).toEqual([]);
    expect(missingOurs).toBe(0);
    expect(audit.mismatched).toEqual([]);
  });

  it('the remote unreachable for a few seconds: the commit is retried, then lands', async () => {
    const handle = await env.promote({ app: 'g-gate', image: 'registry.example.com/g-gate:4.1.0' });
    await env.waitForState(handle.workflowId, ['awaiting-approval'], 120_000);
    await rename(bare, `${bare}.away`);
    figures.faults['remote unreachable 4 s'] = 1;
    await handle.signal(approveSignal, { approver: 'alice' });
    await sleep(4000);
    await rename(`${bare}.away`, bare);
    const outcome = await outcomeOf(env, handle.workflowId);
    figures.promotions++;
    figures.states.push(outcome.state);
    expect(outcome.state, outcome.failure?.message).toBe('promoted');
    figures.notes.push('unreachable remote: retried, then landed');
    const audit = await auditLedger(env, new Map([[handle.workflowId, ['dev-sync', 'staging-promote']]]));
    expect(audit.mismatched).toEqual([]);
    expect(env.deployedImage('staging', 'g-gate')).toBe('registry.example.com/g-gate:4.1.0');
  });

  it('a revert that conflicts: the fallback restores the recorded image and keeps the other change', async () => {
    const image = 'registry.example.com/g-revert:4.2.0';
    const handle = await env.promote({ app: 'g-revert', image });
    await env.waitForState(handle.workflowId, ['verifying'], 120_000);
    // A human edits the line next to ours, so `git revert` of our commit conflicts.
    await env.git('pull', '--quiet', '--rebase');
    const manifest = await env.git('show', 'HEAD:staging/g-revert/deployment.yaml');
    const edited = manifest.replace(`image: ${image}\n`, `image: ${image}\n        imagePullPolicy: IfNotPresent\n`);
    expect(edited).not.toBe(manifest);
    await commitAsHuman(env, 'staging/g-revert/deployment.yaml', `${edited}\n`, 'Pull policy by a human');
    env.sim.faults.failImages(image, 'crash');
    figures.faults['conflicting revert'] = 1;

    const outcome = await outcomeOf(env, handle.workflowId);
    figures.promotions++;
    figures.states.push(outcome.state);
    expect(outcome.state, outcome.failure?.message).toBe('rolled-back');
    const status = outcome.failure?.details?.[0] as PromotionStatus;
    expect(status.stages.find((s) => s.stage === 'staging-promote')?.rollback).toMatchObject({ method: 'restore-image', healthy: true });
    await env.git('fetch', '--quiet', 'origin');
    const after = await env.git('show', 'origin/main:staging/g-revert/deployment.yaml');
    expect(after).toContain(`image: ${BASE_IMAGE}\n`);
    expect(after).toContain('imagePullPolicy: IfNotPresent');
    if (!after.includes('imagePullPolicy: IfNotPresent')) figures.lost++;
    expect(env.deployedImage('staging', 'g-revert')).toBe(BASE_IMAGE);
  });
});
