// The browser test's Chromium comes from scripts/ensure-chromium.ts: found where a person would put it, installed
// only through a way we are given, and otherwise one line that says how. Fake executables stand in for Chromium.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensure } from '../../scripts/ensure-chromium.js';
import { ToolMissingError } from '../../scripts/ensure-tool.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

async function fakeExecutable(path: string): Promise<string> {
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-ensure-chromium-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('scripts/ensure-chromium', () => {
  it('PROMENADE_CHROMIUM wins over PATH', async () => {
    const configured = await fakeExecutable(join(dir, 'my-chrome'));
    const bin = join(dir, 'bin-both');
    await mkdir(bin);
    await fakeExecutable(join(bin, 'chromium'));
    expect(await ensure({ env: { PATH: bin, PROMENADE_CHROMIUM: configured }, install: null })).toBe(configured);
  });

  it('a PROMENADE_CHROMIUM that is not executable is refused by name', async () => {
    const path = join(dir, 'not-executable');
    await writeFile(path, '');
    await expect(ensure({ env: { PATH: '', PROMENADE_CHROMIUM: path }, install: null })).rejects.toThrow(`PROMENADE_CHROMIUM=${path} is not an executable file`);
  });

  it('finds chromium-browser or google-chrome on PATH', async () => {
    const bin = join(dir, 'bin-chrome');
    await mkdir(bin);
    const chrome = await fakeExecutable(join(bin, 'google-chrome'));
    expect(await ensure({ env: { PATH: `${join(dir, 'empty')}:${bin}` }, install: null })).toBe(chrome);
  });

  it('installs when it may, and answers with what the install put on PATH', async () => {
    const bin = join(dir, 'bin-installed');
    await mkdir(bin);
    const logged: string[] = [];
    const path = await ensure({
      env: { PATH: bin },
      log: (line) => logged.push(line),
      install: async (log) => {
        log('installing');
        await fakeExecutable(join(bin, 'chromium'));
      },
    });
    expect(path).toBe(join(bin, 'chromium'));
    expect(logged).toEqual(['installing']);
  });

  it('without a way to install, stops with one line that says how', async () => {
    const err = await ensure({ env: { PATH: join(dir, 'empty') }, install: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^Chromium .* is not on PATH and PROMENADE_CHROMIUM is unset: install it \(apt-get install chromium.*\) or set PROMENADE_CHROMIUM=/);
  });

  it('the browser test takes its browser from the setup, not from a path written in the test', async () => {
    const source = await readFile(join(ROOT, 'test/browser/web-ui-approval.test.ts'), 'utf8');
    expect(source).not.toMatch(/executablePath: *['"`]/);
    expect(source).toContain("inject('chromiumPath')");
  });
});

describe('scripts/ensure', () => {
  it('names a tool without a script, in one line, exit 1', async () => {
    const run = await exec(process.execPath, ['--import', 'tsx', 'scripts/ensure.ts', 'no-such-tool'], { cwd: ROOT }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((run as { code?: number }).code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('scripts/ensure: no script for "no-such-tool": expected scripts/ensure-no-such-tool.ts');
  });
});
