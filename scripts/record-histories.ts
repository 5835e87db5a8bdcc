// `node --import tsx scripts/record-histories.ts` (npm run record-histories): re-records the workflow histories
// that test/workflows/replay.test.ts replays, by running the tests that record them with
// PROMENADE_RECORD_HISTORIES=1, then replays everything. Old histories are never lost: a recording whose shape
// (its sequence of event types) differs from the committed one keeps the committed one as v<N>-<name>.json,
// since promotions started by the old code may still be running; an unchanged shape keeps the old file as is.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const HISTORIES_DIR = join(ROOT, 'test/workflows/histories');
const VERSIONED = /^v\d+-/;

function shape(json: string): string {
  return (JSON.parse(json) as { events: Array<{ eventType: string }> }).events.map((e) => e.eventType).join(',');
}

/**
 * What to write after a recording: for each history that existed before, either the old content back under its
 * name (same shape) or the old content under the next free v<N>- name (new shape). Pure, for the test.
 */
export function keepOldHistories(before: Map<string, string>, after: Map<string, string>): Map<string, string> {
  const writes = new Map<string, string>();
  for (const [file, old] of before) {
    if (VERSIONED.test(file)) continue;
    const recorded = after.get(file);
    if (recorded === undefined || recorded === old) continue;
    if (shape(recorded) === shape(old)) {
      writes.set(file, old);
      continue;
    }
    let n = 1;
    while (after.has(`v${n}-${file}`) || writes.has(`v${n}-${file}`)) n++;
    writes.set(`v${n}-${file}`, old);
  }
  return writes;
}

async function readHistories(): Promise<Map<string, string>> {
  const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json'));
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(HISTORIES_DIR, f), 'utf8')] as [string, string])));
}

/** The test files that call recordHistory: they are the recordings. */
async function recordingTests(): Promise<string[]> {
  const dir = join(ROOT, 'test/workflows');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.test.ts'));
  const recording = await Promise.all(files.map(async (f) => ((await readFile(join(dir, f), 'utf8')).includes('recordHistory(') ? `test/workflows/${f}` : undefined)));
  return recording.filter((f): f is string => f !== undefined);
}

function vitest(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...files], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = await readHistories();
  const code = await vitest(await recordingTests(), { ...process.env, PROMENADE_RECORD_HISTORIES: '1' });
  const writes = keepOldHistories(before, await readHistories());
  for (const [file, content] of writes) await writeFile(join(HISTORIES_DIR, file), content);
  for (const [file] of writes) if (VERSIONED.test(file)) console.error(`kept the previous recording as ${file}`);
  process.exitCode = code !== 0 ? code : await vitest(['test/workflows/replay.test.ts'], process.env);
}
