// ssh-keygen and ssh-agent come from scripts/ensure-openssh.ts: found on PATH, installed only through a way we are
// given, and otherwise one line that says how. Fake executables stand in.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensure } from '../../scripts/ensure-openssh.js';
import { ToolMissingError } from '../../scripts/ensure-tool.js';

let dir: string;
async function fakeExecutable(path: string): Promise<string> {
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, 0o755);
  return path;
}
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-ensure-openssh-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('scripts/ensure-openssh', () => {
  it('finds ssh-keygen and ssh-agent on PATH and answers with ssh-keygen', async () => {
    const bin = join(dir, 'bin-path');
    await mkdir(bin);
    const keygen = await fakeExecutable(join(bin, 'ssh-keygen'));
    await fakeExecutable(join(bin, 'ssh-agent'));
    expect(await ensure({ env: { PATH: bin }, install: null })).toBe(keygen);
  });

  it('installs when one of the two is missing and it may', async () => {
    const bin = join(dir, 'bin-install');
    await mkdir(bin);
    await fakeExecutable(join(bin, 'ssh-keygen'));
    const logged: string[] = [];
    const installed = await ensure({
      env: { PATH: bin },
      log: (l) => logged.push(l),
      install: async (log) => (log('installing'), void (await fakeExecutable(join(bin, 'ssh-agent')))),
    });
    expect(installed).toBe(join(bin, 'ssh-keygen'));
    expect(logged).toEqual(['installing']);
  });

  it('missing and no way to install: one line naming what is missing and how to get it', async () => {
    const bin = join(dir, 'bin-agent-only');
    await mkdir(bin);
    await fakeExecutable(join(bin, 'ssh-agent'));
    const err = await ensure({ env: { PATH: bin }, install: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as Error).message).toMatch(/^ssh-keygen is not on PATH .*apt-get install openssh-client/);
    expect((err as Error).message).not.toContain('\n');
    // An install that leaves the tools missing says so too.
    await expect(ensure({ env: { PATH: join(dir, 'nothing') }, install: async () => {} })).rejects.toThrow(/installed but ssh-keygen and ssh-agent are still not on PATH/);
  });
});
