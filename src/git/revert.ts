// Rolls a stage back by `git revert` of its commit on top of whatever the branch has now, so unrelated commits
// that landed since stay. When the revert conflicts, the recorded previous image is written back with the
// manifest setter instead. Exactly once like commits: the rollback commit carries `<stage>-rollback` trailers.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageSetter } from '../config/pipeline.js';
import { TRAILER_REVERTS } from './trailers.js';
import { readImage, setImage } from '../manifests/image-setter.js';
import { TERMINAL, terminal } from '../failures.js';
import { readManifest } from './commit.js';
import { landChange, trailerBlock } from './group-commit.js';
import { isCommitId } from './commit-id.js';
import { GitCommandError } from './git-process.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

export interface RevertCommitRequest {
  repository: string;
  branch: string;
  promotionId: string;
  /** The stage being rolled back; the rollback commit's Promenade-Stage trailer is `<stage>-rollback`. */
  stage: string;
  /** The stage's commit to revert. */
  commit: string;
  /** Used when the revert conflicts: write `previousImage` back where the stage had written `image`. */
  fallback?: {
    setter: ImageSetter;
    previousImage: string;
    /**
     * The image the stage promoted. If the manifest no longer declares it, someone has changed it since and
     * restoring the old image would undo their change: that is a MergeConflict for a human, not a fallback.
     */
    image?: string;
  };
  trailers?: Array<[string, string]>;
  workspace?: WorkspaceOptions;
}

export interface RevertCommitResult {
  commit: string;
  method: 'revert' | 'restore-image';
  alreadyReverted: boolean;
  /** The branch already had the content the rollback would produce; no commit was made. */
  noChange: boolean;
  pushAttempts: number;
}

type Method = RevertCommitResult['method'];

export async function revertCommit(request: RevertCommitRequest): Promise<RevertCommitResult> {
  const workspace = Workspace.open(request.repository, request.workspace);
  if (!isCommitId(request.commit)) {
    throw terminal(TERMINAL.invalidInput, `revert: ${JSON.stringify(request.commit)} is not a full commit id`);
  }
  const stage = `${request.stage}-rollback`;
  const trailers = trailerBlock(request.promotionId, stage, [[TRAILER_REVERTS, request.commit], ...(request.trailers ?? [])]);
  const landed = await landChange<Method>(workspace, {
    branch: request.branch,
    promotionId: request.promotionId,
    stage,
    async apply(ws) {
      const known = await ws.git(['cat-file', '-e', `${request.commit}^{commit}`]).then(() => true, () => false);
      if (known) {
        const subject = (await ws.git(['log', '-1', '--format=%s', request.commit])).trim();
        try {
          await ws.git(['revert', '--no-commit', request.commit]);
          if (await nothingStaged(ws)) return { committed: false, detail: 'revert' as Method };
          await ws.commit(`Revert "${subject}"\n\nThis reverts commit ${request.commit}.\n\n${trailers}\n`);
          return { committed: true, detail: 'revert' as Method };
        } catch (error) {
          if (!(error instanceof GitCommandError) || !/conflict|could not revert/i.test(`${error.stderr}`)) throw error;
          await ws.checkout('HEAD');
        }
      }
      return { committed: await restoreImage(ws, request, trailers), detail: 'restore-image' as Method };
    },
    async recall(_ws, found) {
      return found.subject.startsWith('Revert "') ? 'revert' : 'restore-image';
    },
  });
  return {
    commit: landed.commit,
    method: landed.detail,
    alreadyReverted: landed.alreadyCommitted,
    noChange: landed.noChange,
    pushAttempts: landed.pushAttempts,
  };
}

async function restoreImage(ws: Workspace, request: RevertCommitRequest, trailers: string): Promise<boolean> {
  const { fallback } = request;
  if (!fallback) {
    throw terminal(TERMINAL.mergeConflict, `reverting ${request.commit} on ${request.branch} conflicts and no previous image was recorded to restore`);
  }
  const { setter } = fallback;
  const text = await readManifest(ws.dir, setter.file);
  const current = readImage(text, setter);
  if (fallback.image !== undefined && current !== fallback.image && current !== fallback.previousImage) {
    throw terminal(
      TERMINAL.mergeConflict,
      `${setter.file}: reverting ${request.commit} conflicts, and the image is now ${current ?? 'unset'}, not ${fallback.image}: not restoring ${fallback.previousImage} over a newer change`,
    );
  }
  const edit = setImage(text, setter, fallback.previousImage);
  if (!edit.changed) return false;
  await writeFile(join(ws.dir, setter.file), edit.text);
  const message = `Restore ${fallback.previousImage} in ${setter.file}\n\nRolls back commit ${request.commit}, whose revert conflicts with later changes.\n\n${trailers}\n`;
  await ws.commit(message, [setter.file]);
  return true;
}

async function nothingStaged(ws: Workspace): Promise<boolean> {
  return ws.git(['diff', '--cached', '--quiet']).then(() => true, () => false);
}
