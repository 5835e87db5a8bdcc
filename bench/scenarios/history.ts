// Scenario 4: the same promotion on a repository with a long history and many apps, and on a new one. Both labs
// run side by side and take turns, each with a warm clone (the one-off clone is reported, not compared).
import { runWorkflow } from '../contenders.js';
import { createLab, type Temporal } from '../lab.js';
import { median, type Row } from '../table.js';
import { appNames, pipelineFor } from './many-apps.js';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export const GATE_FREE = '[dev, staging, { name: prod, approval: false, soak: 0s }]';

export async function historyScenario(
  temporal: Temporal,
  size: { historyCommits: number; historyApps: number; historyReps: number },
  log: (line: string) => void,
): Promise<Row[]> {
  const bigApps = appNames(size.historyApps);
  const smallApps = appNames(5);
  const app = bigApps[0]!;
  let started = performance.now();
  const big = await createLab(temporal, { apps: bigApps, environments: ENVIRONMENTS, commits: size.historyCommits, pipeline: pipelineFor(bigApps, GATE_FREE), installed: [app] });
  log(`  generated ${size.historyCommits} commits x ${size.historyApps} apps in ${Math.round(performance.now() - started)} ms`);
  const small = await createLab(temporal, { apps: smallApps, environments: ENVIRONMENTS, commits: 10, pipeline: pipelineFor(smallApps, GATE_FREE), installed: [app] });
  try {
    await big.startWorker();
    await small.startWorker();
    let n = 0;
    const promote = (lab: typeof big) => runWorkflow(temporal.client, lab, app, `registry.local/app:h${++n}`, `bench-history-${n}`);
    started = performance.now();
    const coldBig = await promote(big);
    const coldSmall = await promote(small);
    const times = { big: [] as number[], small: [] as number[] };
    for (let rep = 0; rep < size.historyReps; rep++) {
      for (const which of rep % 2 === 0 ? (['small', 'big'] as const) : (['big', 'small'] as const)) {
        const run = await promote(which === 'big' ? big : small);
        if (run.state !== 'promoted') throw new Error(`history run ended ${run.state}`);
        times[which].push(run.ms);
        log(`  ${which}: ${Math.round(run.ms)} ms`);
      }
    }
    const b = median(times.big);
    const s = median(times.small);
    const ratio = b / s;
    const commits = await big.git('--git-dir', big.bare, 'rev-list', '--count', 'main');
    return [
      {
        scenario: `4. history: ${size.historyCommits} commits, ${size.historyApps} apps`,
        figure: `${Math.round(b)} ms vs ${Math.round(s)} ms on 10 commits: ${ratio.toFixed(2)}x`,
        target: '<= 1.3x',
        met: ratio <= 1.3,
        note: `medians of ${size.historyReps} alternating warm runs (big repo now ${commits} commits); first runs, clone included: ${Math.round(coldBig.ms)} ms vs ${Math.round(coldSmall.ms)} ms; Argo CD Applications only for the promoted app`,
      },
    ];
  } finally {
    await big.close();
    await small.close();
  }
}
