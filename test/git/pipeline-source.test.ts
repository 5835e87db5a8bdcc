// promenade.yaml is read at the branch tip on every promotion; the tip comes from the remote, the parsed file
// from a cache keyed by that tip. These tests pin that a change to the file is seen by the very next read, that
// a burst of reads costs one fetch, and that a missing branch or file is a clear, terminal configuration error.
import { readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChange } from '../../src/git/commit.js';
import { readPipelineFile } from '../../src/git/pipeline-source.js';
import { TERMINAL } from '../../src/failures.js';
import { commitRequest, createGitopsRemote, type GitopsRemote } from './gitops-remote.js';

let remote: GitopsRemote;
afterEach(() => remote?.cleanup());

const pipelineFile = (apps: string[], replicasNote = '') =>
  `# promotion pipelines${replicasNote}\napps:\n${apps.map((a) => `  ${a}:\n    environments: [dev, staging, prod]\n`).join('')}`;

/** A `git` on PATH that logs each subcommand, so a test can count what the reads cost. */
function countingGit(root: string): { env: NodeJS.ProcessEnv; runs: () => string[] } {
  const dir = join(root, 'shim');
  const log = join(root, 'git-runs.log');
  mkdirSync(dir, { recursive: true });
  writeFileSync(log, '');
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh\nsub=; skip=0\nfor a in "$@"; do\n  if [ $skip = 1 ]; then skip=0; continue; fi\n  case "$a" in -c|-C) skip=1 ;; -*) ;; *) sub=$a; break ;; esac\ndone\necho "$sub" >> '${log}'\nexec '${real}' "$@"\n`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  return { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, runs: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('readPipelineFile', () => {
  it('sees a change to promenade.yaml on the next read, and re-reads nothing while the tip stands', async () => {
    remote = createGitopsRemote();
    remote.otherWrites('promenade.yaml', pipelineFile(['myapp']));
    const git = countingGit(remote.root);
    const options = { cacheDir: remote.cacheDir, env: git.env };

    const first = await readPipelineFile(remote.url, 'main', 'myapp', options);
    expect(first.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(git.runs()).toContain('fetch');

    const before = git.runs().length;
    const again = await readPipelineFile(remote.url, 'main', 'myapp', options);
    expect(again).toEqual(first);
    expect(git.runs().slice(before)).toEqual(['ls-remote']);

    // Someone else's commit moves the tip but not the file: one fetch, and the file is not parsed again.
    remote.otherWrites('README.md', 'unrelated\n');
    const moved = git.runs().length;
    expect(await readPipelineFile(remote.url, 'main', 'myapp', options)).toEqual(first);
    expect(git.runs().slice(moved)).toEqual(['ls-remote', 'ls-tree', 'fetch', 'ls-tree']);

    // A tip this worker pushed itself is already in its clone: no fetch at all.
    const own = await commitChange({ ...commitRequest(remote), workspace: options });
    const afterOwn = git.runs().length;
    expect(await readPipelineFile(remote.url, 'main', 'myapp', options)).toEqual(first);
    expect(git.runs().slice(afterOwn)).toEqual(['ls-remote', 'ls-tree']);
    expect(git.runs().slice(0, afterOwn)).toContain('push');
    expect(own.noChange).toBe(false);

    // Someone adds an app: the very next read knows it.
    remote.otherWrites('promenade.yaml', pipelineFile(['myapp', 'other']));
    const other = await readPipelineFile(remote.url, 'main', 'other', options);
    expect(other.app).toBe('other');
  });

  it('serves a burst of reads of one tip with one fetch and one parse', async () => {
    remote = createGitopsRemote();
    const apps = Array.from({ length: 20 }, (_, i) => `app${i}`);
    remote.otherWrites('promenade.yaml', pipelineFile(apps));
    const git = countingGit(remote.root);
    const pipelines = await Promise.all(apps.map((app) => readPipelineFile(remote.url, 'main', app, { cacheDir: remote.cacheDir, env: git.env })));
    expect(pipelines.map((p) => p.app)).toEqual(apps);
    const runs = git.runs();
    expect(runs.filter((r) => r === 'ls-remote')).toHaveLength(20);
    expect(runs.filter((r) => r === 'fetch')).toHaveLength(1);
    // A new clone: the fetch, one look-up after it, one read of the file.
    expect(runs.filter((r) => r === 'ls-tree')).toHaveLength(1);
    expect(runs.filter((r) => r === 'cat-file')).toHaveLength(1);
  });

  it('hands out copies: a caller changing its pipeline does not change the next one', async () => {
    remote = createGitopsRemote();
    remote.otherWrites('promenade.yaml', pipelineFile(['myapp']));
    const options = { cacheDir: remote.cacheDir };
    const first = await readPipelineFile(remote.url, 'main', 'myapp', options);
    first.environments.pop();
    expect((await readPipelineFile(remote.url, 'main', 'myapp', options)).environments).toHaveLength(3);
  });

  it('names a missing branch and a missing file as terminal configuration errors, and recovers once they exist', async () => {
    remote = createGitopsRemote();
    const options = { cacheDir: remote.cacheDir };
    await expect(readPipelineFile(remote.url, 'release', 'myapp', options)).rejects.toMatchObject({
      type: TERMINAL.invalidConfig,
      message: expect.stringContaining('branch "release" does not exist'),
    });
    await expect(readPipelineFile(remote.url, 'main', 'myapp', options)).rejects.toMatchObject({
      type: TERMINAL.invalidConfig,
      message: expect.stringContaining('promenade.yaml is missing at the root of branch main'),
    });
    // The failure was not cached: the file appears and the next read finds it.
    remote.otherWrites('promenade.yaml', pipelineFile(['myapp']));
    expect((await readPipelineFile(remote.url, 'main', 'myapp', options)).app).toBe('myapp');
  });

  it('reports an unreachable remote as retryable, naming the step', async () => {
    remote = createGitopsRemote();
    await expect(readPipelineFile(join(remote.root, 'gone.git'), 'main', 'myapp', { cacheDir: remote.cacheDir })).rejects.toMatchObject({
      type: 'GitUnavailable',
      message: expect.stringContaining('git ls-remote'),
    });
  });
});
