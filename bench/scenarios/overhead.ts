// Scenarios 1, 2 and 5 share one lab: the workflow, the floor and the CI script promote the same app in turns,
// so machine noise lands on all three alike; the Argo CD requests are counted on the workflow's runs.
import { join } from 'node:path';
import { runCiScript, runFloor, runWorkflow } from '../contenders.js';
import { createLab, type Temporal } from '../lab.js';
import type { Row } from '../table.js';
import { median } from '../table.js';
import { planStages } from '../../src/workflows/stages.js';
import { profileRun, type RunProfile } from '../profile.js';
import { measureTemporalFloor } from '../temporal-floor.js';

const PIPELINE = `apps:
  myapp:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice], required: 1 }
        soak: 0s
`;

export interface OverheadResult {
  rows: Row[];
  /** Median time of one promotion by the workflow, for scenarios that compare against it. */
  workflowMs: number;
}

export async function overheadScenarios(temporal: Temporal, reps: number, log: (line: string) => void): Promise<OverheadResult> {
  const lab = await createLab(temporal, { apps: ['myapp'], environments: ['dev', 'staging', 'prod'], commits: 10, pipeline: PIPELINE });
  try {
    await lab.startWorker();
    const pipeline = lab.pipeline('myapp');
    const stages = planStages(pipeline).length;
    const environments = pipeline.environments.length;
    const floorWorkspace = { cacheDir: join(lab.root, 'floor-cache', 'repos') };
    let n = 0;
    const image = () => `registry.local/myapp:b${++n}`;

    // Warm both clones and the workflow cache: a steady worker is what the targets are about.
    await runWorkflow(temporal.client, lab, 'myapp', image(), `bench-warm-${n}`);
    await runFloor(lab, pipeline, image(), `bench-floor-warm-${n}`, floorWorkspace);

    const workflow: number[] = [];
    const profiles: RunProfile[] = [];
    const floorParts: Array<{ commitMs: number; syncMs: number }> = [];
    const floor: number[] = [];
    const ci: number[] = [];
    const requestsPerRun: Array<{ total: number; watch: number; get: number; sync: number }> = [];
    for (let rep = 0; rep < reps; rep++) {
      // Alternate who goes first so a slow moment of the shared machine does not always hit the same contender.
      const order = rep % 2 === 0 ? (['workflow', 'floor', 'ci'] as const) : (['floor', 'ci', 'workflow'] as const);
      for (const who of order) {
        if (who === 'workflow') {
          lab.sim.resetRequests();
          const run = await runWorkflow(temporal.client, lab, 'myapp', image(), `bench-${n}`);
          if (run.state !== 'promoted') throw new Error(`workflow run ended ${run.state}`);
          const { total, counts } = lab.sim.requests();
          const sum = (match: (key: string) => boolean) => Object.entries(counts).filter(([k]) => match(k)).reduce((a, [, v]) => a + (v as number), 0);
          requestsPerRun.push({
            total,
            watch: sum((k) => k.includes('/stream/')),
            get: sum((k) => k.startsWith('GET ') && !k.includes('/stream/')),
            sync: sum((k) => k.endsWith('/sync')),
          });
          workflow.push(run.ms);
          profiles.push(await profileRun(temporal.client, `bench-${n}`, run.ms));
        } else if (who === 'floor') {
          const run = await runFloor(lab, pipeline, image(), `bench-floor-${n}`, floorWorkspace);
          floor.push(run.ms);
          floorParts.push(run);
        } else {
          ci.push((await runCiScript(lab, pipeline, image())).ms);
        }
        log(`  ${who}: ${Math.round([workflow, floor, ci][['workflow', 'floor', 'ci'].indexOf(who)]!.at(-1)!)} ms`);
      }
    }

    const temporalFloor = await measureTemporalFloor(temporal);
    const w = median(workflow);
    const f = median(floor);
    const c = median(ci);
    const over = (w - f) / f;
    const perStage = (w - f) / stages;
    const perEnv = requestsPerRun.map((r) => r.total / environments);
    const worst = Math.max(...perEnv);
    const watchesPerEnv = Math.min(...requestsPerRun.map((r) => r.watch / environments));
    const sample = requestsPerRun[requestsPerRun.length - 1]!;
    // Medians per part: where the workflow's extra time goes, next to the floor's own commit and sync time.
    const part = (pick: (p: RunProfile) => number) => Math.round(median(profiles.map(pick)));
    const act = (type: string) => (p: RunProfile) => p.activities[type] ?? 0;
    const breakdown =
      `profile (medians, ms): commitImage ${part(act('commitImage'))} vs floor commit ${Math.round(median(floorParts.map((p) => p.commitMs)))}; ` +
      `syncEnvironment ${part(act('syncEnvironment'))} vs floor sync ${Math.round(median(floorParts.map((p) => p.syncMs)))}; ` +
      `only in the workflow: loadPipeline ${part(act('loadPipeline'))}, signalAppLane ${part(act('signalAppLane'))}, ` +
      `approval gate notice ${part((p) => p.gateMs)}, Temporal (workflow tasks, start, result) ${part((p) => p.orchestrationMs)} over ${part((p) => p.workflowTasks)} workflow tasks`;
    // Temporal's own price per step here, from a chain of no-op activities on the same server.
    const queuedSteps = median(profiles.map((p) => p.queuedActivities));
    const localSteps = median(profiles.map((p) => p.localActivities));
    const floorOfTemporal = queuedSteps * temporalFloor.queuedMs + localSteps * temporalFloor.localMs;
    const bound =
      `Temporal's floor on this server: a no-op activity round trip costs ${temporalFloor.queuedMs.toFixed(1)} ms queued, ${temporalFloor.localMs.toFixed(1)} ms local; ` +
      `the workflow runs ${queuedSteps} queued and ${localSteps} local activities, so ${Math.round(floorOfTemporal)} ms of its ${Math.round(w - f)} ms over the floor is that round trip alone`;
    const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))} ms`;
    return {
      workflowMs: w,
      rows: [
        {
          scenario: '1. orchestration overhead',
          figure: `workflow ${Math.round(w)} ms vs floor ${Math.round(f)} ms: ${pct(over)} over`,
          target: '<= 10% over the floor',
          met: over <= 0.1,
          note: `medians of ${reps} alternating runs (workflow ${spread(workflow)}, floor ${spread(floor)}); ${breakdown}. ${bound}`,
        },
        {
          scenario: '1. overhead per stage',
          figure: `${Math.round(perStage)} ms per stage (${stages} stages)`,
          target: '< 250 ms per stage',
          met: perStage < 250,
          note: `stages: ${planStages(pipeline).map((s) => s.name).join(', ')}`,
        },
        {
          scenario: '2. vs the usual CI script',
          figure: `CI script ${Math.round(c)} ms = ${(c / w).toFixed(2)}x the workflow`,
          target: 'report the ratio',
          met: undefined,
          note: `fresh clone per step, push, sync, GET every 2 s (${spread(ci)})`,
        },
        {
          scenario: '5. Argo CD requests per environment stage',
          figure: `${fmt(median(perEnv))} (worst run ${fmt(worst)}); per run: ${sample.watch} watch, ${sample.get} GET, ${sample.sync} sync`,
          target: '<= 10, waits on the watch stream',
          met: worst <= 10 && watchesPerEnv >= 1,
          note: `happy path, ${environments} environments, counted by the simulator`,
        },
      ],
    };
  } finally {
    await lab.close();
  }
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
