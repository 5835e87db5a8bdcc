// The local GitOps repository of `npm start`: a bare repository (the "remote") holding the seed lab's layout.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { SEED_APP, seedLayout } from '../bootstrap/seed-layout.js';

const git = promisify(execFile);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates the bare repository (the "remote") with the seed commit, unless it exists already. Returns its file:// URL. */
export async function seedGitopsRepository(barePath: string, options: { branch?: string } = {}): Promise<{ url: string; created: boolean }> {
  const branch = options.branch ?? 'main';
  const url = `file://${barePath}`;
  if (await exists(join(barePath, 'HEAD'))) return { url, created: false };
  await mkdir(barePath, { recursive: true });
  await git('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, barePath]);
  const work = await mkdtemp(join(tmpdir(), 'promenade-seed-'));
  try {
    await git('git', ['init', '--quiet', `--initial-branch=${branch}`, work]);
    for (const file of seedLayout(SEED_APP)) {
      await mkdir(dirname(join(work, file.path)), { recursive: true });
      await writeFile(join(work, file.path), file.content);
    }
    const identity = ['-c', 'user.name=promenade', '-c', 'user.email=promenade@localhost'];
    await git('git', ['-C', work, 'add', '.']);
    await git('git', ['-C', work, ...identity, 'commit', '--quiet', '-m', 'Initial GitOps structure']);
    await git('git', ['-C', work, 'push', '--quiet', url, `HEAD:refs/heads/${branch}`]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { url, created: true };
}
