// The verification tests' Prometheus comes from scripts/ensure-prometheus.ts: found where a person would put it,
// installed only through a way we are given, and otherwise one line that says how. Fake executables stand in.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensure } from '../../scripts/ensure-prometheus.js';
import { ToolMissingError } from '../../scripts/ensure-tool.js';

let dir: string;
async function fakeExecutable(path: string): Promise<string> {
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, 0o755);
  return path;
}
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-ensure-prometheus-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('scripts/ensure-prometheus', () => {
  it('PROMENADE_PROMETHEUS wins over PATH; one that is not executable is refused by name', async () => {
    const configured = await fakeExecutable(join(dir, 'my-prometheus'));
    const bin = join(dir, 'bin-both');
    await mkdir(bin);
    await fakeExecutable(join(bin, 'prometheus'));
    expect(await ensure({ env: { PATH: bin, PROMENADE_PROMETHEUS: configured }, install: null })).toBe(configured);
    await writeFile(join(dir, 'plain'), '');
    await expect(ensure({ env: { PATH: '', PROMENADE_PROMETHEUS: join(dir, 'plain') }, install: null })).rejects.toThrow('is not an executable file');
  });

  it('finds prometheus on PATH, or installs it when it may', async () => {
    const bin = join(dir, 'bin-path');
    await mkdir(bin);
    const found = await fakeExecutable(join(bin, 'prometheus'));
    expect(await ensure({ env: { PATH: bin }, install: null })).toBe(found);
    const empty = join(dir, 'bin-install');
    await mkdir(empty);
    const logged: string[] = [];
    const installed = await ensure({ env: { PATH: empty }, log: (l) => logged.push(l), install: async (log) => (log('installing'), void (await fakeExecutable(join(empty, 'prometheus')))) });
    expect(installed).toBe(join(empty, 'prometheus'));
    expect(logged).toEqual(['installing']);
  });

  it('missing and no way to install: one line saying how', async () => {
    const err = await ensure({ env: { PATH: join(dir, 'nothing') }, install: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as Error).message).toMatch(/^prometheus .*apt-get install prometheus.*PROMENADE_PROMETHEUS=/);
    expect((err as Error).message).not.toContain('\n');
  });
});
