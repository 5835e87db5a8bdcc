import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChange, type CommitChangeRequest } from '../../src/git/commit.js';
import { Workspace } from '../../src/git/workspace.js';
import { headDeliversRevision } from '../../src/git/descendant.js';
import { TRAILER_IMAGE, TRAILER_REQUESTED_BY } from '../../src/git/trailers.js';
import { createGitopsRemote, git, type GitopsRemote, commitRequest } from './gitops-remote.js';

let remote: GitopsRemote;
afterEach(() => remote?.cleanup());

const request = (overrides: Partial<CommitChangeRequest> = {}) => commitRequest(remote, overrides);

describe('commitChange', () => {
  it('commits the image with trailers, once, however often it is retried', async () => {
    remote = createGitopsRemote();
    const first = await commitChange(request({ trailers: [['Approved-by', 'alice'], ['ci.run', 'https://ci/42']] }));
    expect(first).toMatchObject({ previousImage: 'nginx:1.19', alreadyCommitted: false, noChange: false, pushAttempts: 1 });
    expect(git(remote.url, 'rev-parse', 'main').trim()).toBe(first.commit);
    expect(remote.read('dev/myapp/deployment.yaml')).toContain('image: nginx:1.21\n');
    const message = git(remote.url, 'log', '-1', '--format=%B%an <%ae>', 'main');
    expect(message).toContain('Promote myapp to nginx:1.21 in dev\n\nPromenade-Promotion: promo-1\nPromenade-Stage: dev-sync\nPromenade-Image: nginx:1.21\nApproved-by: alice\nci-run: https://ci/42\n');
    expect(message).toContain('promenade <promenade@localhost>');
    expect(git(remote.url, 'log', '-1', '--format=%(trailers:key=Approved-by,valueonly)', 'main').trim()).toBe('alice');

    // A retry after someone else moved the branch on still finds its commit.
    remote.otherWrites('README.md', 'hello\n');
    const retry = await commitChange(request());
    expect(retry).toEqual({ commit: first.commit, previousImage: 'nginx:1.19', alreadyCommitted: true, noChange: false, pushAttempts: 0 });
    expect(git(remote.url, 'rev-list', '--count', '--grep=Promenade-Promotion: promo-1', 'main').trim()).toBe('1');
  });

  it('makes no empty commit when the image is already there', async () => {
    remote = createGitopsRemote();
    const tip = git(remote.url, 'rev-parse', 'main').trim();
    const result = await commitChange(request({ image: 'nginx:1.19' }));
    expect(result).toEqual({ commit: tip, previousImage: 'nginx:1.19', alreadyCommitted: false, noChange: true, pushAttempts: 0 });
    expect(remote.pushes()).toBe(1); // the seed push only
  });

  it('reuses its clone and only fetches afterwards', async () => {
    remote = createGitopsRemote();
    await commitChange(request());
    const { dir } = Workspace.open(remote.url, { cacheDir: remote.cacheDir });
    writeFileSync(join(dir, '.git', 'still-the-same-clone'), '');
    remote.otherWrites('staging/myapp/deployment.yaml', remote.read('staging/myapp/deployment.yaml').replace('replicas: 2', 'replicas: 4'));
    await commitChange(request({ promotionId: 'promo-2', stage: 'staging-promote', setter: { kind: 'container', file: 'staging/myapp/deployment.yaml', container: 'myapp' } }));
    expect(existsSync(join(dir, '.git', 'still-the-same-clone'))).toBe(true);
    const staging = remote.read('staging/myapp/deployment.yaml');
    expect(staging).toContain('replicas: 4');
    expect(staging).toContain('image: nginx:1.21');
  });

  it('fails terminally for a missing container or branch', async () => {
    remote = createGitopsRemote();
    await expect(commitChange(request({ setter: { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'web' } }))).rejects.toMatchObject({
      type: 'InvalidConfig',
      nonRetryable: true,
      message: 'dev/myapp/deployment.yaml: no container "web" (found: myapp)',
    });
    await expect(commitChange(request({ setter: { kind: 'container', file: 'dev/nope/deployment.yaml', container: 'x' } }))).rejects.toMatchObject({
      type: 'InvalidConfig',
      message: 'dev/nope/deployment.yaml: no such file on the branch',
    });
    await expect(commitChange(request({ branch: 'release' }))).rejects.toMatchObject({ type: 'InvalidConfig', message: expect.stringContaining('branch "release" does not exist') });
  });

  it('stays fast on a repository with 20,000 commits', async () => {
    remote = createGitopsRemote();
    const commits = Array.from(
      { length: 20_000 },
      (_, i) => `commit refs/heads/main\ncommitter x <x@x> ${1_700_000_000 + i} +0000\ndata 10\nnoise ${String(i % 1000).padStart(3, '0')}\n${i === 0 ? 'from refs/heads/main^0\n' : ''}\n`,
    ).join('');
    await new Promise<void>((resolve, reject) => {
      // glibc's default heap growth makes fast-import spend seconds in brk(); a larger top pad avoids that.
      const env = { ...process.env, MALLOC_TOP_PAD_: String(256 << 20) };
      const child = execFile('git', ['fast-import', '--quiet'], { cwd: remote.url, env }, (error) => (error ? reject(error) : resolve()));
      child.stdin!.end(commits);
    });
    expect(git(remote.url, 'rev-list', '--count', 'main').trim()).toBe('20001');
    await commitChange(request());
    const started = Date.now();
    const retry = await commitChange(request());
    expect(retry.alreadyCommitted).toBe(true);
    const elapsed = Date.now() - started;
    const miss = await commitChange(request({ promotionId: 'promo-2', image: 'nginx:1.22' }));
    expect(miss.alreadyCommitted).toBe(false);
    expect(elapsed).toBeLessThan(1500);
  });
});

describe('commit trailers', () => {
  it('carry the image once, even when the caller lists it among its trailers too', async () => {
    remote = createGitopsRemote();
    await commitChange(request({ trailers: [[TRAILER_IMAGE, 'nginx:1.21'], [TRAILER_REQUESTED_BY, 'ci-bot']] }));
    const message = git(remote.url, 'log', '-1', '--format=%B', 'main');
    expect(message.split('\n').filter((line) => line.startsWith(`${TRAILER_IMAGE}:`))).toEqual([`${TRAILER_IMAGE}: nginx:1.21`]);
    expect(message).toContain(`${TRAILER_REQUESTED_BY}: ci-bot`);
  });
});

describe('revisions from Argo CD', () => {
  it('reach git only when they are full commit ids', async () => {
    remote = createGitopsRemote();
    const ours = await commitChange(request());
    const question = { repository: remote.url, branch: 'main', revision: ours.commit, setter: request().setter, image: 'nginx:1.21' };
    const options = { cacheDir: remote.cacheDir };
    expect(await headDeliversRevision({ ...question, head: ours.commit }, options)).toBe(true);
    // `HEAD` and `HEAD~0` name our commit in the clone: git would answer yes if they reached it.
    for (const head of ['HEAD', 'HEAD~0', 'main', `--upload-pack=touch ${join(remote.root, 'pwned')}`, ours.commit.toUpperCase(), ` ${ours.commit}`]) {
      expect(await headDeliversRevision({ ...question, head }, options)).toBe(false);
    }
    expect(await headDeliversRevision({ ...question, revision: 'HEAD', head: ours.commit }, options)).toBe(false);
    expect(existsSync(join(remote.root, 'pwned'))).toBe(false);
  });
});

describe('clone cache directory', () => {
  it('follows the one cache-dir rule: PROMENADE_CACHE_DIR, else XDG_CACHE_HOME/promenade', () => {
    remote = createGitopsRemote();
    const xdg = join(remote.root, 'xdg');
    expect(Workspace.open(remote.url, { env: { XDG_CACHE_HOME: xdg } }).dir).toMatch(new RegExp(`^${xdg}/promenade/repos/[0-9a-f]{16}$`));
    const own = join(remote.root, 'own');
    expect(Workspace.open(remote.url, { env: { XDG_CACHE_HOME: xdg, PROMENADE_CACHE_DIR: own } }).dir).toMatch(new RegExp(`^${own}/repos/[0-9a-f]{16}$`));
  });
});
