import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTemporalCli, TemporalCliNotFoundError, temporalCliCacheDir, TEMPORAL_CLI_VERSION } from '../../src/stack/temporal-cli.js';

async function fakeBinary(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, '#!/bin/sh\necho fake\n');
  await chmod(path, 0o755);
  return path;
}

describe('resolveTemporalCli', () => {
  it('prefers $TEMPORAL_CLI, then PATH, then the versioned cache', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cli-'));
    const explicit = await fakeBinary(join(root, 'explicit'), 'temporal');
    const onPath = await fakeBinary(join(root, 'bin'), 'temporal');
    const cacheBase = join(root, 'cache');
    const cached = await fakeBinary(join(cacheBase, 'temporal-cli', TEMPORAL_CLI_VERSION), 'temporal');

    expect(await resolveTemporalCli({ env: { TEMPORAL_CLI: explicit, PATH: join(root, 'bin'), PROMENADE_CACHE_DIR: cacheBase } })).toBe(explicit);
    expect(await resolveTemporalCli({ env: { PATH: join(root, 'bin'), PROMENADE_CACHE_DIR: cacheBase } })).toBe(onPath);
    expect(await resolveTemporalCli({ env: { PATH: join(root, 'empty'), PROMENADE_CACHE_DIR: cacheBase } })).toBe(cached);
    expect(temporalCliCacheDir({ PROMENADE_CACHE_DIR: cacheBase })).toBe(join(cacheBase, 'temporal-cli', TEMPORAL_CLI_VERSION));
  });

  it('refuses a $TEMPORAL_CLI that is not executable, naming it', async () => {
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI: '/nonexistent/temporal', PATH: '' } })).rejects.toThrow(/TEMPORAL_CLI=\/nonexistent\/temporal/);
  });

  it('without the CLI and without Go, names every way to get it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cli-'));
    const attempt = resolveTemporalCli({ env: { PATH: join(root, 'empty'), PROMENADE_CACHE_DIR: join(root, 'cache') }, goCandidates: [] });
    await expect(attempt).rejects.toBeInstanceOf(TemporalCliNotFoundError);
    const message = await attempt.catch((err: Error) => err.message);
    expect(message).toMatch(/install Go/);
    expect(message).toMatch(/TEMPORAL_CLI=/);
    expect(message).toMatch(/docker compose up/);
  });

  it('builds the pinned CLI with go install into the cache when Go is there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cli-'));
    // A stand-in `go` that records its arguments and drops a binary where GOBIN points.
    const go = join(root, 'go');
    await writeFile(go, '#!/bin/sh\necho "$@" > "$GOBIN/args"\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"\n');
    await chmod(go, 0o755);
    const cacheBase = join(root, 'cache');
    const path = await resolveTemporalCli({ env: { PATH: `${join(root, 'empty')}:/usr/bin:/bin`, PROMENADE_CACHE_DIR: cacheBase }, goCandidates: [go] });
    expect(path).toBe(join(cacheBase, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal'));
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(join(cacheBase, 'temporal-cli', TEMPORAL_CLI_VERSION, 'args'), 'utf8')).trim()).toBe(`install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`);
  });
});
