// Commits one image change for one stage of a promotion and pushes it, exactly once however often the activity
// is retried: the commit carries Promenade-Promotion and Promenade-Stage trailers, and a retry that finds them on
// the branch returns that commit instead of making another.
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageSetter } from '../config/pipeline.js';
import { TRAILER_IMAGE } from './trailers.js';
import { readImage, setImage } from '../manifests/image-setter.js';
import { TERMINAL, terminal } from '../failures.js';
import { landChange, trailerBlock } from './group-commit.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

export interface CommitChangeRequest {
  repository: string;
  branch: string;
  promotionId: string;
  /** Stage name written to the Promenade-Stage trailer, e.g. `dev-sync`. */
  stage: string;
  /** Where and how the environment's image is written. */
  setter: ImageSetter;
  image: string;
  /** Commit subject (and optional body); trailers are appended. */
  message: string;
  /** Extra trailers such as `['Approved-by', 'alice']` or promotion metadata. */
  trailers?: Array<[string, string]>;
  workspace?: WorkspaceOptions;
}

export interface CommitChangeResult {
  /** The commit that put the image on the branch; with `noChange`, the branch tip that already had it. */
  commit: string;
  /** The image the environment declared before; undefined only for a newly added kustomize entry. */
  previousImage?: string;
  /** A retry: the commit was already on the branch. */
  alreadyCommitted: boolean;
  /** The manifest already declared the image, so no commit was made. Nothing of this stage to roll back. */
  noChange: boolean;
  pushAttempts: number;
}

export async function commitChange(request: CommitChangeRequest): Promise<CommitChangeResult> {
  const workspace = Workspace.open(request.repository, request.workspace);
  const { setter, image } = request;
  // The image trailer is this module's to write, from `image`: a caller's copy would make it appear twice.
  const extra = (request.trailers ?? []).filter(([key]) => key.toLowerCase() !== TRAILER_IMAGE.toLowerCase());
  const message = `${request.message.trim()}\n\n${trailerBlock(request.promotionId, request.stage, [[TRAILER_IMAGE, image], ...extra])}\n`;
  const landed = await landChange<{ previousImage?: string }>(workspace, {
    branch: request.branch,
    promotionId: request.promotionId,
    stage: request.stage,
    async apply(ws) {
      const path = join(ws.dir, setter.file);
      const text = await readManifest(ws.dir, setter.file);
      const edit = setImage(text, setter, image);
      const detail = edit.previousImage === undefined ? {} : { previousImage: edit.previousImage };
      if (!edit.changed) return { committed: false, detail };
      await writeFile(path, edit.text);
      await ws.commit(message, [setter.file]);
      return { committed: true, detail };
    },
    async recall(ws, found) {
      // The image before is what the file said in the found commit's parent, so a retry reports the same value.
      const text = await ws.git(['show', `${found.commit}^:${setter.file}`]).catch(() => undefined);
      const previousImage = text === undefined ? undefined : readImage(text, setter);
      return previousImage === undefined ? {} : { previousImage };
    },
  });
  const result: CommitChangeResult = {
    commit: landed.commit,
    alreadyCommitted: landed.alreadyCommitted,
    noChange: landed.noChange,
    pushAttempts: landed.pushAttempts,
  };
  if (landed.detail.previousImage !== undefined) result.previousImage = landed.detail.previousImage;
  return result;
}

/** The manifest's text, refusing a symlink that would lead an edit outside the clone. */
export async function readManifest(dir: string, file: string): Promise<string> {
  try {
    const [root, path] = await Promise.all([realpath(dir), realpath(join(dir, file))]);
    if (!path.startsWith(`${root}/`)) throw terminal(TERMINAL.invalidConfig, `${file}: resolves outside the repository (a symlink?)`);
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw terminal(TERMINAL.invalidConfig, `${file}: no such file on the branch`);
    throw error;
  }
}
