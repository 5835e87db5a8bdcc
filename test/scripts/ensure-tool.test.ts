// The one apt-get installer every ensure-<tool> script uses: null when this machine offers no apt-get as root,
// otherwise `apt-get update` then one non-interactive install of exactly the packages asked for.
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptInstaller } from '../../scripts/ensure-tool.js';

const asRoot = process.getuid?.() === 0;

describe('aptInstaller', () => {
  it.runIf(asRoot)('is null when apt-get is not on PATH', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'no-apt-'));
    expect(await aptInstaller({ PATH: empty }, ['redis-server'], 'for a test')).toBeNull();
  });

  it.runIf(!asRoot)('is null when not running as root, whatever PATH holds', async () => {
    expect(await aptInstaller(process.env, ['redis-server'], 'for a test')).toBeNull();
  });

  it.runIf(asRoot)('runs apt-get update, then a non-interactive install of exactly the packages, and says why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-apt-'));
    const calls = join(dir, 'calls');
    await writeFile(join(dir, 'apt-get'), `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> '${calls}'\n`);
    await chmod(join(dir, 'apt-get'), 0o755);
    const install = await aptInstaller({ PATH: dir }, ['openssh-client', 'redis-server'], 'for a test');
    const lines: string[] = [];
    await install!((line) => lines.push(line));
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      'noninteractive update',
      'noninteractive install -y --no-install-recommends openssh-client redis-server',
    ]);
    expect(lines).toEqual(['Installing openssh-client, redis-server with apt-get (once, for a test)...']);
  });

  it.runIf(asRoot)('fails naming the command when apt-get fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'failing-apt-'));
    await writeFile(join(dir, 'apt-get'), '#!/bin/sh\nexit 100\n');
    await chmod(join(dir, 'apt-get'), 0o755);
    const install = await aptInstaller({ PATH: dir }, ['chromium'], 'for a test');
    await expect(install!(() => {})).rejects.toThrow(/apt-get update exited with code 100/);
  });
});
