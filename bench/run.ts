// `npm run bench [-- --quick] [-- --only 1,3]`: starts its own local stack, runs every scenario, prints one table
// and writes bench/RESULTS.md. Not part of `npm test`: nothing here asserts a time.
import { fileURLToPath } from 'node:url';
import { startTemporal } from './lab.js';
import { overheadScenarios } from './scenarios/overhead.js';
import { manyAppsScenario } from './scenarios/many-apps.js';
import { historyScenario } from './scenarios/history.js';
import { waitingScenario } from './scenarios/waiting.js';
import { renderTable, writeResults, type Row } from './table.js';

export const SIZES = {
  full: { reps: 3, apps: 100, historyCommits: 20_000, historyApps: 500, historyReps: 3, waiting: 1000 },
  quick: { reps: 2, apps: 20, historyCommits: 2_000, historyApps: 50, historyReps: 2, waiting: 100 },
};

export async function runBench(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',')) : undefined;
  const size = quick ? SIZES.quick : SIZES.full;
  const log = (line: string) => console.error(line);
  const startedAt = new Date();
  const temporal = await startTemporal(log);
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    if (!only || only.has('1') || only.has('2') || only.has('5')) {
      log('scenarios 1, 2, 5: one promotion, workflow vs floor vs CI script');
      const overhead = await overheadScenarios(temporal, size.reps, log);
      rows.push(...overhead.rows);
    }
    if (!only || only.has('3')) {
      log(`scenario 3: ${size.apps} promotions of ${size.apps} apps at once`);
      rows.push(...(await manyAppsScenario(temporal, size.apps, log)));
    }
    if (!only || only.has('4')) {
      log(`scenario 4: ${size.historyCommits} commits and ${size.historyApps} apps vs 10 commits`);
      rows.push(...(await historyScenario(temporal, size, log)));
    }
    if (!only || only.has('6')) {
      log(`scenario 6: ${size.waiting} promotions waiting for approval`);
      const waiting = await waitingScenario(temporal, size.waiting, log);
      rows.push(...waiting.rows);
      notes.push(...waiting.notes);
    }
  } finally {
    await temporal.stop();
  }
  const table = renderTable(rows);
  console.log(table);
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  if (!only) {
    await writeResults(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), rows, { quick, startedAt, seconds, notes });
    log('wrote bench/RESULTS.md');
  }
  log(`bench: ${Math.round(seconds)} s`);
  return rows.some((r) => r.met === false) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await runBench(process.argv.slice(2));
}
