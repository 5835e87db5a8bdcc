// compareHead against a real bare remote: a later head that still declares our image delivers our stage; one that
// carries our commit but declares another image replaced it; a head that does not contain our commit is unrelated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareHead, headDeliversRevision } from '../../src/git/descendant.js';
import type { ImageSetter } from '../../src/config/pipeline.js';
import { createGitopsRemote, deployment, git, type GitopsRemote } from './gitops-remote.js';

const setter: ImageSetter = { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'myapp' };
let remote: GitopsRemote;
beforeAll(() => {
  remote = createGitopsRemote();
});
afterAll(() => remote?.cleanup());

describe('compareHead', () => {
  it('tells delivers, replaced and unrelated apart', async () => {
    const base = git(remote.other, 'rev-parse', 'HEAD').trim();
    const ours = remote.otherWrites('dev/myapp/deployment.yaml', deployment('dev', 'myapp', 1, 'nginx:1.27'), 'ours');
    const unrelatedChange = remote.otherWrites('docs/NOTES.md', 'hello\n', 'unrelated');
    const replaced = remote.otherWrites('dev/myapp/deployment.yaml', deployment('dev', 'myapp', 1, 'nginx:1.28'), 'a newer image');
    const options = { cacheDir: `${remote.root}/cache` };
    const ask = (head: string) => compareHead({ repository: remote.url, branch: 'main', head, revision: ours, setter, image: 'nginx:1.27' }, options);

    expect(await ask(unrelatedChange)).toBe('delivers');
    expect(await ask(replaced)).toBe('replaced');
    expect(await ask(base)).toBe('unrelated');
    expect(await ask('0'.repeat(40))).toBe('unrelated');
    expect(await headDeliversRevision({ repository: remote.url, branch: 'main', head: replaced, revision: ours, setter, image: 'nginx:1.27' }, options)).toBe(false);
  });
});
