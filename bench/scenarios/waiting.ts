// Scenario 6: N promotions parked at the approval gate on one `promenade worker` child process, whose resident
// memory is read from /proc while they wait; then all are approved and must finish promoted. Each app's pipeline
// is a single gated environment (prod), so after the approval every promotion makes one real commit and sync.
import { setTimeout as sleep } from 'node:timers/promises';
import { startPromotion } from '../../src/client/start-promotion.js';
import { SEARCH_ATTRIBUTES } from '../../src/promotion.js';
import { APPROVER } from '../contenders.js';
import { createLab, inParallel, residentBytes, type Temporal } from '../lab.js';
import type { Row } from '../table.js';
import { appNames, pipelineFor } from './many-apps.js';

const MB = 2 ** 20;

export async function waitingScenario(temporal: Temporal, count: number, log: (line: string) => void): Promise<{ rows: Row[]; notes: string[] }> {
  const apps = appNames(count, 'w');
  const pipeline = pipelineFor(apps, `[{ name: prod, approval: { approvers: [${APPROVER}] }, soak: 0s }]`);
  const lab = await createLab(temporal, { apps, environments: ['prod'], commits: 10, pipeline });
  try {
    const worker = lab.spawnWorker();
    const samples: Array<{ at: number; rss: number; phase: string }> = [];
    let phase = 'idle';
    let sampling = true;
    const sampler = (async () => {
      while (sampling && worker.exitCode === null) {
        samples.push({ at: Date.now(), rss: await residentBytes(worker.pid!).catch(() => 0), phase });
        await sleep(250);
      }
    })();
    await sleep(3000);
    const idle = Math.max(...samples.map((s) => s.rss));
    const { client } = temporal;
    const image = 'registry.local/w:approved';
    const id = (app: string) => `bench-wait-${app}`;

    phase = 'starting';
    let started = performance.now();
    await inParallel(apps, 32, (app) => startPromotion(client, { app, image, requestedBy: 'ci-bot' }, { taskQueue: lab.taskQueue, workflowId: id(app) }));
    const waitingQuery = `TaskQueue = '${lab.taskQueue}' AND ${SEARCH_ATTRIBUTES.state} = 'awaiting-approval'`;
    for (;;) {
      const { count: waiting } = await client.workflow.count(waitingQuery);
      if (waiting >= count) break;
      if (performance.now() - started > 600_000) throw new Error(`only ${waiting} of ${count} reached the approval gate`);
      await sleep(1000);
    }
    const toGate = performance.now() - started;
    log(`  ${count} awaiting approval after ${Math.round(toGate)} ms`);
    phase = 'waiting';
    await sleep(5000);
    const waitingSamples = samples.filter((s) => s.phase === 'waiting').map((s) => s.rss);
    const rssWaiting = Math.max(...waitingSamples);
    const rssStarting = Math.max(...samples.filter((s) => s.phase === 'starting').map((s) => s.rss));

    phase = 'approved';
    started = performance.now();
    await inParallel(apps, 32, (app) => client.workflow.getHandle(id(app)).signal('approve', { approver: APPROVER }));
    const outcomes = await inParallel(apps, 100, (app) =>
      client.workflow
        .getHandle(id(app))
        .result()
        .then((r: { state: string }) => r.state, (e: Error) => `failed: ${e.message}`),
    );
    const afterApproval = performance.now() - started;
    const rssAfter = Math.max(...samples.filter((s) => s.phase === 'approved').map((s) => s.rss));
    sampling = false;
    await sampler;
    const promoted = outcomes.filter((o) => o === 'promoted').length;
    const deployments = (lab.sim.cluster() as { deployments: Array<{ name: string; images: string[] }> }).deployments;
    const running = deployments.filter((d) => d.images[0] === image).length;
    log(`  all approved: ${promoted}/${count} promoted in ${Math.round(afterApproval)} ms`);
    const failures = [...new Set(outcomes.filter((o) => o !== 'promoted'))].slice(0, 3);

    return {
      rows: [
        {
          scenario: `6. ${count} awaiting approval: worker RSS`,
          figure: `${(rssWaiting / MB).toFixed(0)} MB while waiting (idle ${(idle / MB).toFixed(0)} MB, peak while starting ${(rssStarting / MB).toFixed(0)} MB)`,
          target: '< 250 MB',
          met: rssWaiting < 250 * MB,
          note: `\`promenade worker\` as a child process with default worker options, VmRSS from /proc every 250 ms; all ${count} reached the gate ${(toGate / 1000).toFixed(1)} s after the first start`,
        },
        {
          scenario: `6. all ${count} proceed after approval`,
          figure: `${promoted}/${count} promoted, ${running} deployments on the image, in ${(afterApproval / 1000).toFixed(1)} s (peak RSS ${(rssAfter / MB).toFixed(0)} MB)`,
          target: `${count}/${count}`,
          met: promoted === count && running === count,
          note: `pipeline per app: one gated environment (prod, one approver, soak 0), so each approval leads to one real commit and Argo CD sync${failures.length ? `; failures: ${failures.join(' | ')}` : ''}`,
        },
      ],
      notes: [],
    };
  } finally {
    await lab.close();
  }
}
