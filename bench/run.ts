// `npm run bench [-- --quick] [-- --only 1,3]`: starts its own local stack, runs every scenario, prints one table
// and writes bench/RESULTS.md. Not part of `npm test`: nothing here asserts a time.
import { fileURLToPath } from 'node:url';
import { HelpRequested, integerValue, parseCommandLine, UsageError } from '../src/cli/args.js';
import { SIMULATOR_TIMINGS, startTemporal } from './lab.js';
import { overheadScenarios } from './scenarios/overhead.js';
import { manyAppsScenario } from './scenarios/many-apps.js';
import { historyScenario } from './scenarios/history.js';
import { waitingScenario } from './scenarios/waiting.js';
import { failFastScenario } from './scenarios/fail-fast.js';
import { renderTable, writeResults, type Row } from './table.js';

export const SIZES = {
  full: { failFastSeconds: 60, deadlineSeconds: 600, reps: 3, apps: 100, historyCommits: 20_000, historyApps: 500, historyReps: 3, waiting: 1000, waitingCapMs: { gate: 420_000, finish: 900_000 } },
  quick: { failFastSeconds: 6, deadlineSeconds: 60, reps: 2, apps: 20, historyCommits: 2_000, historyApps: 50, historyReps: 2, waiting: 100, waitingCapMs: { gate: 180_000, finish: 180_000 } },
};

const SIZE_FLAGS = { apps: 'apps', waiting: 'waiting', 'history-commits': 'historyCommits', 'history-apps': 'historyApps', reps: 'reps', 'history-reps': 'historyReps', 'fail-fast-seconds': 'failFastSeconds', 'deadline-seconds': 'deadlineSeconds' } as const;

export async function runBench(argv: string[]): Promise<number> {
  let flags;
  try {
    const stringFlag = { type: 'string' } as const;
    ({ flags } = parseCommandLine(
      argv,
      { quick: { type: 'boolean' }, only: stringFlag, apps: stringFlag, waiting: stringFlag, 'history-commits': stringFlag, 'history-apps': stringFlag, reps: stringFlag, 'history-reps': stringFlag, 'fail-fast-seconds': stringFlag, 'deadline-seconds': stringFlag },
      'npm run bench -- [--quick] [--only 1,3] [--apps <n>] [--waiting <n>] [--history-commits <n>] [--history-apps <n>] [--reps <n>] [--history-reps <n>] [--fail-fast-seconds <n>] [--deadline-seconds <n>]',
    ));
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof HelpRequested)) throw err;
    console.error(err.message);
    return err instanceof UsageError ? 2 : 0;
  }
  const only = flags.only === undefined ? undefined : new Set(flags.only.split(','));
  const size = { ...(flags.quick ? SIZES.quick : SIZES.full) };
  // Counts can be overridden one by one, e.g. `--apps 50 --waiting 300`, for a machine that cannot run them all.
  for (const [flag, key] of Object.entries(SIZE_FLAGS) as Array<[keyof typeof SIZE_FLAGS, (typeof SIZE_FLAGS)[keyof typeof SIZE_FLAGS]]>) {
    const raw = flags[flag];
    if (raw !== undefined) size[key] = integerValue(`--${flag}`, raw, 1);
  }
  const log = (line: string) => console.error(line);
  const startedAt = new Date();
  const temporal = await startTemporal(log);
  const rows: Row[] = [];
  const notes = [
    '## How it runs',
    [
      '- One Temporal dev server (in memory) for the whole run; per scenario a bare GitOps repository under a temp dir, the Argo CD simulator and a worker on a task queue of its own.',
      `- Simulator timings, the same for every scenario and contender: ${JSON.stringify(SIMULATOR_TIMINGS)}.`,
      '- Workers use the shipped defaults (worker options, sync tuning); scenarios 1, 2, 4 and 5 run the worker in the bench process, scenarios 3 and 6 run `promenade worker` as a child process.',
      '- The floor calls `commitChange` and `syncAndWait` (with the same `headDeliversRevision` check) in a row with its own warm clone; it does not read promenade.yaml and has no approval to wait for.',
      '- Times are wall-clock medians of alternating runs on a machine shared with other test runs: compare figures within this run, not across runs.',
    ].join('\n'),
  ];
  const scenarios: Array<{ ids: string[]; title: string; run: () => Promise<Row[]> }> = [
    { ids: ['1', '2', '5'], title: 'scenarios 1, 2, 5: one promotion, workflow vs floor vs CI script', run: async () => (await overheadScenarios(temporal, size.reps, log)).rows },
    { ids: ['3'], title: `scenario 3: ${size.apps} promotions of ${size.apps} apps at once`, run: () => manyAppsScenario(temporal, size.apps, log) },
    { ids: ['4'], title: `scenario 4: ${size.historyCommits} commits and ${size.historyApps} apps vs 10 commits`, run: () => historyScenario(temporal, size, log) },
    { ids: ['6'], title: `scenario 6: ${size.waiting} promotions waiting for approval`, run: () => waitingScenario(temporal, size.waiting, size.waitingCapMs, log) },
    { ids: ['7'], title: `scenario 7: a crash-looping image, failFast ${size.failFastSeconds}s vs the ${size.deadlineSeconds}s progress deadline`, run: () => failFastScenario(temporal, size, log) },
  ].filter((s) => !only || s.ids.some((id) => only.has(id)));
  const results = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  try {
    for (const [index, scenario] of scenarios.entries()) {
      log(scenario.title);
      try {
        rows.push(...(await scenario.run()));
      } catch (error) {
        // One broken scenario must not cost the figures of the others.
        rows.push({ scenario: scenario.title, figure: `error: ${error instanceof Error ? error.message : String(error)}`, target: '-', met: false });
      }
      // Written after every scenario, so an interrupted run still leaves what it measured.
      if (!only) {
        const pending = scenarios.slice(index + 1).map((s) => s.ids.join(', '));
        const partial = pending.length ? [`**Partial run**: scenarios ${pending.join('; ')} had not finished when this was written.`] : [];
        await writeResults(results, rows, { quick: flags.quick ?? false, startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000, notes: [...partial, ...notes], size });
      }
    }
  } finally {
    await temporal.stop();
  }
  const table = renderTable(rows);
  console.log(table);
  for (const row of rows) if (row.note) console.log(`\n${row.scenario}: ${row.note}`);
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  if (!only) log('wrote bench/RESULTS.md');
  log(`bench: ${Math.round(seconds)} s`);
  return rows.some((r) => r.met === false) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await runBench(process.argv.slice(2));
}
