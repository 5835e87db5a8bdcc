// Scenario 6: N promotions parked at the approval gate on one `promenade worker` child process, whose resident
// memory is read from /proc while they wait; then all are approved and must leave the gate and finish promoted.
// Each app's pipeline is a single gated environment (prod), so after its approval every promotion makes one real
// commit and one Argo CD sync. Progress is read from the PromotionState search attribute, as the Web UI does.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPromotion } from '../../src/client/start-promotion.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { DEFAULT_TUNING } from '../../src/worker.js';
import { APPROVER } from '../contenders.js';
import { countingGit, createLab, inParallel, residentBytes, type Temporal } from '../lab.js';
import { describeMean, profileRun } from '../profile.js';
import type { Row } from '../table.js';
import { appNames, pipelineFor } from './many-apps.js';

const MB = 2 ** 20;

export async function waitingScenario(
  temporal: Temporal,
  count: number,
  capMs: { gate: number; finish: number },
  log: (line: string) => void,
): Promise<Row[]> {
  const apps = appNames(count, 'w');
  const pipeline = pipelineFor(apps, `[{ name: prod, approval: { approvers: [${APPROVER}] }, soak: 0s }]`);
  const lab = await createLab(temporal, { apps, environments: ['prod'], commits: 10, pipeline });
  try {
    const gitLog = join(lab.root, 'git.log');
    const shim = await countingGit(join(lab.root, 'shim'), gitLog);
    const worker = lab.spawnWorker({ PATH: `${shim}:${process.env.PATH}` });
    const samples: Array<{ rss: number; phase: string }> = [];
    let phase = 'idle';
    let sampling = true;
    const sampler = (async () => {
      while (sampling && worker.exitCode === null) {
        samples.push({ rss: await residentBytes(worker.pid!).catch(() => 0), phase });
        await sleep(250);
      }
    })();
    const peak = (p: string) => Math.max(0, ...samples.filter((s) => s.phase === p).map((s) => s.rss));
    await sleep(5000);
    const { client } = temporal;
    const image = 'registry.local/w:approved';
    const id = (app: string) => `bench-wait-${app}`;
    const inState = async (state: string) =>
      (await client.workflow.count(`TaskQueue = '${lab.taskQueue}' AND ${SEARCH_ATTRIBUTES.state} = '${state}'`)).count;
    const until = async (done: () => Promise<boolean>, capMs: number) => {
      const started = performance.now();
      while (!(await done()) && performance.now() - started < capMs) await sleep(1000);
      return performance.now() - started;
    };

    phase = 'starting';
    let started = performance.now();
    await inParallel(apps, 32, (app) => startPromotion(client, { app, image, requestedBy: 'ci-bot' }, { taskQueue: lab.taskQueue, workflowId: id(app) }));
    let waiting = 0;
    await until(async () => (waiting = await inState('awaiting-approval')) >= count, capMs.gate);
    const toGate = performance.now() - started;
    const gitToGate = (await readFile(gitLog, 'utf8')).split('\n').filter(Boolean).length;
    log(`  ${waiting}/${count} awaiting approval after ${Math.round(toGate)} ms`);
    phase = 'waiting';
    await sleep(5000);
    const rssWaiting = peak('waiting');

    phase = 'approved';
    started = performance.now();
    await inParallel(apps, 32, (app) => client.workflow.getHandle(id(app)).signal('approve', { approver: APPROVER }));
    let stillWaiting = count;
    const leftGateMs = await until(async () => (stillWaiting = await inState('awaiting-approval')) === 0, capMs.finish);
    let promoted = 0;
    await until(async () => (promoted = await inState('promoted')) >= waiting, Math.max(0, capMs.finish - leftGateMs));
    const afterApproval = performance.now() - started;
    const failed = (await client.workflow.count(`TaskQueue = '${lab.taskQueue}' AND ExecutionStatus = 'Failed'`)).count;
    // Why promotions failed or were rolled back, counted by reason: a count that says what bounds the figure.
    const reasons = new Map<string, number>();
    let asked = 0;
    for await (const run of client.workflow.list({ query: `TaskQueue = '${lab.taskQueue}' AND WorkflowType = 'promotion' AND ${SEARCH_ATTRIBUTES.state} IN ('rolled-back', 'rollback-failed', 'failed')` })) {
      const status = await client.workflow.getHandle(run.workflowId).query<{ failure?: string }>('status').catch(() => undefined);
      const reason = (status?.failure ?? 'unknown').replace(/[0-9a-f]{12,40}/g, '<sha>').replace(/\d+(\.\d+)?\s?(ms|s)\b/g, '<n>$2').slice(0, 160);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (++asked >= 50) break;
    }
    sampling = false;
    await sampler;
    log(`  approved: ${waiting - stillWaiting} left the gate, ${promoted}/${count} promoted in ${Math.round(afterApproval)} ms`);
    const deployments = (lab.sim.cluster() as { deployments: Array<{ name: string; images: string[] }> }).deployments;
    const running = deployments.filter((d) => d.images[0] === image).length;
    const gitRuns = (await readFile(gitLog, 'utf8')).split('\n').filter(Boolean);
    const byCommand = new Map<string, number>();
    for (const sub of gitRuns) byCommand.set(sub, (byCommand.get(sub) ?? 0) + 1);
    const sample = apps.slice(0, 40);
    const profiles = await inParallel(sample, 8, (app) => profileRun(client, id(app)).catch(() => undefined));
    const profile = describeMean(profiles.filter((p): p is NonNullable<typeof p> => !!p));

    const idle = peak('idle');
    const cached = Math.min(2 * count, DEFAULT_TUNING.maxCachedWorkflows);
    const perRun = (rssWaiting - idle) / cached;
    return [
      {
        scenario: `6. ${count} awaiting approval: worker RSS`,
        figure: `${(rssWaiting / MB).toFixed(0)} MB while ${waiting} wait (idle ${(idle / MB).toFixed(0)} MB, peak while starting ${(peak('starting') / MB).toFixed(0)} MB)`,
        target: '< 250 MB',
        met: waiting === count && rssWaiting < 250 * MB,
        note:
          `\`promenade worker\` child process with the shipped defaults (workflow cache ${DEFAULT_TUNING.maxCachedWorkflows} runs, bundle built in a child process at start), VmRSS from /proc every 250 ms. ` +
          `${2 * count} runs wait (each promotion and its app lane); at most ${cached} stay cached, ${(perRun / 1024).toFixed(0)} KiB each above idle, and the rest cost the worker nothing until their next signal replays them. ` +
          `Reaching the gate took ${(toGate / 1000).toFixed(1)} s for ${count} (${gitToGate} git processes, ${(gitToGate / count).toFixed(1)} per promotion, on one clone)`,
      },
      {
        scenario: `6. all ${count} proceed after approval`,
        figure: `${waiting - stillWaiting}/${count} left the gate in ${(leftGateMs / 1000).toFixed(1)} s; ${promoted} promoted, ${running} deployed, ${failed} failed in ${(afterApproval / 1000).toFixed(1)} s (peak RSS ${(peak('approved') / MB).toFixed(0)} MB)`,
        target: `${count}/${count}`,
        met: waiting === count && stillWaiting === 0 && promoted === count && running === count,
        note:
          `pipeline per app: one gated environment (prod, one approver, soak 0), so each approval leads to one real commit and Argo CD sync` +
          (promoted < count ? `; the bench stopped waiting after ${Math.round(capMs.finish / 1000)} s` : '') +
          `. Git processes of the whole scenario: ${gitRuns.length} (${[...byCommand].sort(([, a], [, b]) => b - a).map(([c, k]) => `${c} ${k}`).join(', ')}); ` +
          `mean time per promotion in each part (ms, first ${sample.length}): ${profile}` +
          (reasons.size ? `. Failed or rolled back, by reason: ${[...reasons].sort(([, a], [, b]) => b - a).map(([r, k]) => `${k} x "${r}"`).join('; ')}` : ''),
      },
    ];
  } finally {
    await lab.close();
  }
}
