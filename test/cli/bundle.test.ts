// `promenade bundle` writes the workflow code a worker loads with PROMENADE_WORKFLOW_BUNDLE; the Dockerfile runs it
// at build time and `promenade worker` runs it in a child process, so webpack never lives in a worker's heap.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { expectOneLine, runCli } from './run-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'promenade-bundle-test-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('promenade bundle', () => {
  it('writes a bundle holding both workflows', async () => {
    const out = join(dir, 'nested', 'workflows.js');
    const run = await runCli(['bundle', '--out', out], process.env);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const code = await readFile(out, 'utf8');
    expect(code).toContain('async function promotion(');
    expect(code).toContain('async function appLane(');
  });

  it('asks for --out in one line', async () => {
    const run = await runCli(['bundle'], process.env);
    expect(run.code).toBe(EXIT.usage);
    expect(expectOneLine(run.stderr)).toBe('promenade bundle: --out <file> is required: where to write the bundle');
  });
});
