// Many writers, one branch: group commit inside a process, the remote as arbiter across processes.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChange, type CommitChangeRequest } from '../../src/git/commit.js';
import { Workspace } from '../../src/git/workspace.js';
import { createGitopsRemote, git, type GitopsRemote, commitRequest } from './gitops-remote.js';

const run = promisify(execFile);
let remote: GitopsRemote;
afterEach(() => remote?.cleanup());

const request = (overrides: Partial<CommitChangeRequest> = {}) => commitRequest(remote, overrides);

describe('concurrent commitChange', () => {
  it('lands 20 concurrent promotions in one process with a couple of pushes', async () => {
    remote = createGitopsRemote(20);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        commitChange(
          request({
            promotionId: `promo-${i}`,
            setter: { kind: 'container', file: `dev/app${i}/deployment.yaml`, container: `app${i}` },
            image: `nginx:2.${i}`,
          }),
        ),
      ),
    );
    for (let i = 0; i < 20; i++) expect(remote.read(`dev/app${i}/deployment.yaml`)).toContain(`image: nginx:2.${i}\n`);
    expect(new Set(results.map((r) => r.commit)).size).toBe(20);
    expect(git(remote.url, 'rev-list', '--count', 'main').trim()).toBe('21');
    expect(results.every((r) => r.pushAttempts === 1)).toBe(true);
    expect(remote.pushes() - 1).toBeLessThanOrEqual(3);
  });

  it('reports each change its own commit, and lands the rest of a batch when one change fails', async () => {
    remote = createGitopsRemote(6);
    const settled = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        commitChange(
          request({
            promotionId: `promo-${i}`,
            // Change 2 names a container the manifest does not have: it alone fails.
            setter: { kind: 'container', file: `dev/app${i}/deployment.yaml`, container: i === 2 ? 'nope' : `app${i}` },
            image: `nginx:3.${i}`,
          }),
        ),
      ),
    );
    expect(settled[2]!.status).toBe('rejected');
    for (const [i, outcome] of settled.entries()) {
      if (i === 2) continue;
      expect(outcome.status).toBe('fulfilled');
      const { commit } = (outcome as PromiseFulfilledResult<{ commit: string }>).value;
      expect(git(remote.url, 'log', '-1', '--format=%(trailers:key=Promenade-Promotion,valueonly)', commit).trim()).toBe(`promo-${i}`);
      expect(git(remote.url, 'show', `${commit}:dev/app${i}/deployment.yaml`)).toContain(`image: nginx:3.${i}\n`);
    }
    expect(git(remote.url, 'rev-list', '--count', 'main').trim()).toBe('6');
    expect(remote.read('dev/app2/deployment.yaml')).not.toContain('nginx:3.2');
  });

  it('re-applies its edit on the new tip when another writer pushes first', async () => {
    remote = createGitopsRemote();
    await commitChange(request());
    // The other writer lands in the window between our fetch and our push.
    const { dir } = Workspace.open(remote.url, { cacheDir: remote.cacheDir });
    const marker = join(remote.root, 'raced');
    writeFileSync(
      join(dir, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n[ -e "${marker}" ] && exit 0\ntouch "${marker}"\ncd "${remote.other}" && git pull -q --ff-only && echo "raced" > race.txt && git add race.txt && git -c user.name=o -c user.email=o@x commit -qm race && git push -q origin HEAD:main\n`,
      { mode: 0o755 },
    );
    const result = await commitChange(request({ promotionId: 'promo-2', stage: 'staging-promote', setter: { kind: 'container', file: 'staging/myapp/deployment.yaml', container: 'myapp' } }));
    expect(result.pushAttempts).toBe(2);
    expect(remote.read('race.txt')).toBe('raced\n');
    expect(remote.read('staging/myapp/deployment.yaml')).toContain('image: nginx:1.21');
    expect(git(remote.url, 'rev-parse', 'main').trim()).toBe(result.commit);
    expect(git(remote.url, 'log', '-1', '--format=%s', `${result.commit}^`).trim()).toBe('race');
  });

  it('gives up with a retryable PushRejected when the branch keeps moving', async () => {
    remote = createGitopsRemote();
    const workspace = { cacheDir: remote.cacheDir, maxPushAttempts: 3 };
    await commitChange(request({ workspace }));
    const { dir } = Workspace.open(remote.url, workspace);
    writeFileSync(
      join(dir, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\ncd "${remote.other}" && git pull -q --ff-only && date +%s%N >> race.txt && git add race.txt && git -c user.name=o -c user.email=o@x commit -qm race && git push -q origin HEAD:main\n`,
      { mode: 0o755 },
    );
    await expect(commitChange(request({ promotionId: 'promo-2', image: 'nginx:1.22', workspace }))).rejects.toMatchObject({
      type: 'PushRejected',
      nonRetryable: false,
      message: 'push to main was rejected 3 times: the branch keeps moving; retrying later',
    });
    expect(remote.read('dev/myapp/deployment.yaml')).toContain('image: nginx:1.21\n');
    expect(remote.read('race.txt').trim().split('\n')).toHaveLength(3);
  });

  it('ends at once with the remote\'s own words when a hook refuses the push by policy', async () => {
    remote = createGitopsRemote();
    const tries = join(remote.root, 'pre-receive.log');
    writeFileSync(
      join(remote.url, 'hooks', 'pre-receive'),
      `#!/bin/sh\necho refused >> "${tries}"\necho "GL-HOOK-ERR: You are not allowed to push code to protected branches on this project." >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const error = await commitChange(request()).then(
      () => undefined,
      (e: unknown) => e as { type: string; nonRetryable: boolean; message: string },
    );
    expect(error).toMatchObject({ type: 'PushRefused', nonRetryable: true });
    expect(error!.message).toMatch(/^push to .* main was refused by the remote: \(pre-receive hook declined\): GL-HOOK-ERR: You are not allowed to push code to protected branches on this project\.$/);
    // Refused once, not re-applied and pushed again as if another writer had won a race.
    expect(readFileSync(tries, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(remote.read('dev/myapp/deployment.yaml')).toContain('image: nginx:1.19');
  });

  it('lands everything when two worker processes commit to the same repository at once', async () => {
    remote = createGitopsRemote(20);
    const script = join(import.meta.dirname, 'commit-from-process.ts');
    const spawnWorker = (from: number, to: number) =>
      run(process.execPath, ['--import', 'tsx', script, remote.url, remote.cacheDir, String(from), String(to), '2.0'], { cwd: join(import.meta.dirname, '../..') });
    const [a, b] = await Promise.all([spawnWorker(0, 10), spawnWorker(10, 20)]);
    const results = [...JSON.parse(a.stdout), ...JSON.parse(b.stdout)] as Array<{ commit: string; pushAttempts: number }>;
    expect(results).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(remote.read(`dev/app${i}/deployment.yaml`)).toContain('image: nginx:2.0\n');
    expect(git(remote.url, 'rev-list', '--count', 'main').trim()).toBe('21');
    // Each process kept its own clone under the shared cache directory.
    expect(results.every((r) => r.pushAttempts >= 1 && r.pushAttempts <= 8)).toBe(true);
  });

});
