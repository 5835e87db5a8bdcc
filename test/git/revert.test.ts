import { afterEach, describe, expect, it } from 'vitest';
import { commitChange } from '../../src/git/commit.js';
import { revertCommit, type RevertCommitRequest } from '../../src/git/revert.js';
import type { ImageSetter } from '../../src/config/pipeline.js';
import { createGitopsRemote, git, promotionCommits, type GitopsRemote } from './gitops-remote.js';

let remote: GitopsRemote;
afterEach(() => remote?.cleanup());

const setter: ImageSetter = { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'myapp' };

async function promote(image = 'nginx:1.21') {
  return commitChange({
    repository: remote.url,
    branch: 'main',
    promotionId: 'promo-1',
    stage: 'dev-sync',
    setter,
    image,
    message: `Promote myapp to ${image} in dev`,
    workspace: { cacheDir: remote.cacheDir },
  });
}

function rollback(commit: string, overrides: Partial<RevertCommitRequest> = {}): Promise<Awaited<ReturnType<typeof revertCommit>>> {
  return revertCommit({
    repository: remote.url,
    branch: 'main',
    promotionId: 'promo-1',
    stage: 'dev-sync',
    commit,
    fallback: { setter, previousImage: 'nginx:1.19', image: 'nginx:1.21' },
    workspace: { cacheDir: remote.cacheDir },
    ...overrides,
  });
}

describe('revertCommit', () => {
  it('reverts on top of unrelated commits, once', async () => {
    remote = createGitopsRemote();
    const { commit } = await promote();
    const staging = remote.read('staging/myapp/deployment.yaml').replace('replicas: 2', 'replicas: 5');
    remote.otherWrites('staging/myapp/deployment.yaml', staging);
    remote.otherWrites('dev/myapp/service.yaml', 'kind: Service\n');

    const result = await rollback(commit);
    expect(result).toMatchObject({ method: 'revert', alreadyReverted: false, noChange: false, pushAttempts: 1 });
    expect(remote.read('dev/myapp/deployment.yaml')).toContain('image: nginx:1.19\n');
    expect(remote.read('staging/myapp/deployment.yaml')).toBe(staging);
    expect(remote.read('dev/myapp/service.yaml')).toBe('kind: Service\n');
    const message = git(remote.url, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Revert "Promote myapp to nginx:1.21 in dev"\n\nThis reverts commit ${commit}.\n\nPromenade-Promotion: promo-1\nPromenade-Stage: dev-sync-rollback\nPromenade-Reverts: ${commit}\n`);

    const again = await rollback(commit);
    expect(again).toEqual({ commit: result.commit, method: 'revert', alreadyReverted: true, noChange: false, pushAttempts: 0 });
    expect(promotionCommits(remote, 'promo-1')).toEqual([
      { commit: result.commit, stage: 'dev-sync-rollback', subject: 'Revert "Promote myapp to nginx:1.21 in dev"' },
      { commit, stage: 'dev-sync', subject: 'Promote myapp to nginx:1.21 in dev' },
    ]);
  });

  it('restores the previous image when the revert conflicts', async () => {
    remote = createGitopsRemote();
    const { commit } = await promote();
    // A change on the line next to the image makes `git revert` conflict.
    const edited = remote.read('dev/myapp/deployment.yaml').replace('      - name: myapp\n', '      - name: myapp # the app\n');
    remote.otherWrites('dev/myapp/deployment.yaml', edited);

    const result = await rollback(commit);
    expect(result).toMatchObject({ method: 'restore-image', alreadyReverted: false, noChange: false });
    expect(remote.read('dev/myapp/deployment.yaml')).toBe(edited.replace('image: nginx:1.21', 'image: nginx:1.19'));
    expect(git(remote.url, 'log', '-1', '--format=%(trailers:key=Promenade-Reverts,valueonly)', 'main').trim()).toBe(commit);
    expect(await rollback(commit)).toMatchObject({ commit: result.commit, method: 'restore-image', alreadyReverted: true });
  });

  it('refuses to restore over a newer image someone else set', async () => {
    remote = createGitopsRemote();
    const { commit } = await promote();
    remote.otherWrites('dev/myapp/deployment.yaml', remote.read('dev/myapp/deployment.yaml').replace('nginx:1.21', 'nginx:1.25'));
    await expect(rollback(commit)).rejects.toMatchObject({
      type: 'MergeConflict',
      nonRetryable: true,
      message: expect.stringContaining('the image is now nginx:1.25, not nginx:1.21: not restoring nginx:1.19 over a newer change'),
    });
    await expect(rollback(commit, { fallback: undefined })).rejects.toMatchObject({ type: 'MergeConflict' });
  });

  it('makes no commit when the change is already undone', async () => {
    remote = createGitopsRemote();
    const { commit } = await promote();
    remote.otherWrites('dev/myapp/deployment.yaml', remote.read('dev/myapp/deployment.yaml').replace('nginx:1.21', 'nginx:1.19'));
    const tip = git(remote.url, 'rev-parse', 'main').trim();
    expect(await rollback(commit)).toMatchObject({ commit: tip, noChange: true, alreadyReverted: false });
  });
});
