// A GitOps repository as the seed lab lays it out, in a bare repository on disk that tests use as the remote.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import type { CommitChangeRequest } from '../../src/git/commit.js';
import { TRAILER_PROMOTION, TRAILER_STAGE } from '../../src/git/trailers.js';

export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'someone',
  GIT_AUTHOR_EMAIL: 'someone@example.com',
  GIT_COMMITTER_NAME: 'someone',
  GIT_COMMITTER_EMAIL: 'someone@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export function deployment(env: string, app: string, replicas: number, image: string): string {
  return seedDeployment(app, env, replicas, image);
}

export interface GitopsRemote {
  root: string;
  /** Path of the bare repository: the `repository` URL for promenade. */
  url: string;
  cacheDir: string;
  /** A plain clone for playing "another writer" and for reading what landed. */
  other: string;
  /** Commits a file change from the other clone and pushes it. */
  otherWrites(file: string, content: string, message?: string): string;
  /** The file as it is on the remote's main branch now. */
  read(file: string): string;
  /** Pushes the remote received so far (counted by a post-receive hook). */
  pushes(): number;
  cleanup(): void;
}

export function createGitopsRemote(extraApps: number = 0): GitopsRemote {
  const root = mkdtempSync(join(tmpdir(), 'promenade-git-'));
  const url = join(root, 'gitops.git');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', url);
  writeFileSync(join(url, 'hooks', 'post-receive'), `#!/bin/sh\necho push >> "${join(root, 'pushes.log')}"\n`, { mode: 0o755 });

  const seed = join(root, 'seed');
  git(root, 'init', '--quiet', '--initial-branch=main', seed);
  const write = (file: string, content: string) => {
    mkdirSync(dirname(join(seed, file)), { recursive: true });
    writeFileSync(join(seed, file), content);
  };
  write('dev/myapp/deployment.yaml', deployment('dev', 'myapp', 1, 'nginx:1.19'));
  write('staging/myapp/deployment.yaml', deployment('staging', 'myapp', 2, 'nginx:1.19'));
  write('prod/myapp/deployment.yaml', deployment('prod', 'myapp', 3, 'nginx:latest'));
  for (let i = 0; i < extraApps; i++) write(`dev/app${i}/deployment.yaml`, deployment('dev', `app${i}`, 1, 'nginx:1.19'));
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'Initial GitOps structure');
  git(seed, 'push', '--quiet', url, 'main');

  const other = join(root, 'other');
  git(root, 'clone', '--quiet', url, other);
  return {
    root,
    url,
    cacheDir: join(root, 'cache'),
    other,
    otherWrites(file, content, message = `other writer changes ${file}`) {
      git(other, 'pull', '--quiet', '--ff-only');
      mkdirSync(dirname(join(other, file)), { recursive: true });
      writeFileSync(join(other, file), content);
      git(other, 'add', '.');
      git(other, 'commit', '--quiet', '-m', message);
      git(other, 'push', '--quiet', 'origin', 'HEAD:main');
      return git(other, 'rev-parse', 'HEAD').trim();
    },
    read(file) {
      return git(url, 'show', `main:${file}`);
    },
    pushes() {
      try {
        return readFileSync(join(root, 'pushes.log'), 'utf8').trim().split('\n').length;
      } catch {
        return 0;
      }
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A commitChange request for myapp's dev manifest on this remote; tests override what they vary. */
export function commitRequest(remote: GitopsRemote, overrides: Partial<CommitChangeRequest> = {}): CommitChangeRequest {
  return {
    repository: remote.url,
    branch: 'main',
    promotionId: 'promo-1',
    stage: 'dev-sync',
    setter: { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'myapp' },
    image: 'nginx:1.21',
    message: 'Promote myapp to nginx:1.21 in dev',
    workspace: { cacheDir: remote.cacheDir },
    ...overrides,
  };
}

/** A promotion's commits on the remote's main branch, newest first, found by their trailers alone. */
export function promotionCommits(remote: GitopsRemote, promotionId: string): Array<{ commit: string; stage: string; subject: string }> {
  const format = `%H%x1f%s%x1f%(trailers:key=${TRAILER_PROMOTION},valueonly,separator=%x1d)%x1f%(trailers:key=${TRAILER_STAGE},valueonly,separator=%x1d)%x1e`;
  return git(remote.url, 'log', `--format=${format}`, 'main', '--')
    .split('\x1e')
    .map((record) => record.replace(/^\n/, ''))
    .filter(Boolean)
    .map((record) => record.split('\x1f'))
    .filter(([, , promotions = '']) => promotions.split('\x1d').map((p) => p.trim()).includes(promotionId))
    .flatMap(([commit = '', subject = '', , stages = '']) => stages.split('\x1d').map((s) => s.trim()).filter(Boolean).map((stage) => ({ commit, stage, subject })));
}
