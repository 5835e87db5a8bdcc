// When the branch moves on between our push and Argo CD's auto-sync, Argo CD deploys a later commit. That still
// delivers our stage if the later commit descends from ours and the environment's manifest there still declares
// our image (nobody replaced it since): the same question a person would ask with `git log` and `git show`.
import type { ImageSetter } from '../config/pipeline.js';
import { readImage } from '../manifests/image-setter.js';
import { isCommitId } from './commit-id.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

export interface DescendantQuestion {
  repository: string;
  branch: string;
  /** The commit Argo CD deployed or is about to deploy. */
  head: string;
  /** The commit our stage pushed. */
  revision: string;
  setter: ImageSetter;
  image: string;
}

/**
 * `delivers`: the head descends from our commit and still declares our image. `replaced`: it descends from our
 * commit, but a later change declares another image there (our commit is contained, our image is not).
 * `unrelated`: the head does not contain our commit, is unknown to the remote, or is not a commit id.
 */
export type HeadVerdict = 'delivers' | 'replaced' | 'unrelated';

/** `signal` stops the question's own git processes; a fetch, which other steps share, runs to its end. */
export async function headDeliversRevision(question: DescendantQuestion, options?: WorkspaceOptions, signal?: AbortSignal): Promise<boolean> {
  return (await compareHead(question, options, signal)) === 'delivers';
}

export async function compareHead(question: DescendantQuestion, options?: WorkspaceOptions, signal?: AbortSignal): Promise<HeadVerdict> {
  // Argo CD's word is not trusted onto a command line: anything but a full commit id (a Helm chart version, or a
  // hostile `--upload-pack=...`) cannot be a descendant of our commit.
  if (!isCommitId(question.head) || !isCommitId(question.revision)) return 'unrelated';
  const workspace = Workspace.open(question.repository, options);
  return workspace.exclusive(async () => {
    const known = () => workspace.git(['cat-file', '-e', `${question.head}^{commit}`], signal).then(() => true, () => false);
    if (!(await known())) {
      await workspace.fetch(question.branch);
      if (!(await known())) return 'unrelated';
    }
    const descends = await workspace.git(['merge-base', '--is-ancestor', question.revision, question.head], signal).then(() => true, () => false);
    if (!descends) return 'unrelated';
    const text = await workspace.git(['show', `${question.head}:${question.setter.file}`], signal).catch(() => undefined);
    if (text === undefined) return 'unrelated';
    return readImage(text, question.setter) === question.image ? 'delivers' : 'replaced';
  });
}
