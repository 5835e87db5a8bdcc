// The real lane's tools: scripts/ensure-redis-server.ts and scripts/ensure-argocd-real.ts find what is there
// before installing or building anything. Fake executables stand in for redis-server and the built stack.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensure as ensureArgoCDReal } from '../../scripts/ensure-argocd-real.js';
import { ensure as ensureRedisServer } from '../../scripts/ensure-redis-server.js';
import { ARGOCD_REAL_BINARIES, argocdRealBinDir } from '../../src/stack/argocd-real/versions.js';

let dir: string;

async function fakeExecutable(path: string): Promise<string> {
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-ensure-argocd-real-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('scripts/ensure-redis-server', () => {
  it('PROMENADE_REDIS_SERVER wins; one that is not executable is refused by name', async () => {
    const configured = await fakeExecutable(join(dir, 'my-redis'));
    expect(await ensureRedisServer({ env: { PATH: '', PROMENADE_REDIS_SERVER: configured } })).toBe(configured);
    const plain = join(dir, 'not-executable');
    await writeFile(plain, '');
    await expect(ensureRedisServer({ env: { PATH: '', PROMENADE_REDIS_SERVER: plain } })).rejects.toThrow(`PROMENADE_REDIS_SERVER=${plain} is not an executable file`);
  });

  it('finds redis-server on PATH', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    const redis = await fakeExecutable(join(bin, 'redis-server'));
    expect(await ensureRedisServer({ env: { PATH: bin } })).toBe(redis);
  });
});

describe('scripts/ensure-argocd-real', () => {
  it('answers the version-keyed bin directory of a cache that holds every binary, building nothing', async () => {
    const env = { PROMENADE_CACHE_DIR: join(dir, 'cache'), PATH: '' };
    const binDir = argocdRealBinDir(env);
    expect(binDir).toContain(join(dir, 'cache', 'argocd-real', 'etcd-v3.6.8_k8s-v1.34.4'));
    await mkdir(binDir, { recursive: true });
    for (const b of ARGOCD_REAL_BINARIES) await fakeExecutable(join(binDir, b));
    const lines: string[] = [];
    expect(await ensureArgoCDReal({ env, log: (l) => lines.push(l) })).toBe(binDir);
    expect(lines).toEqual([]);
  });
});
