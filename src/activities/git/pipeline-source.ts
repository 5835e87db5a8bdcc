// Reads promenade.yaml from the GitOps repository at the branch tip the promotion starts from, and validates it
// once: downstream code only ever sees a resolved AppPipeline. Every promotion reads it, often many at once, so
// the read stays off the clone's commit queue: the tip is asked of the remote (`ls-remote`), and only a tip not
// seen before costs a fetch; a file whose content (blob) did not change since is not parsed again.
import type { AppPipeline, PipelineFile } from '../../config/pipeline.js';
import { PIPELINE_FILE_NAME, parsePipelineFile, resolveAppPipeline } from '../../config/pipeline-file.js';
import { RETRYABLE, TERMINAL, retryable, terminal } from '../../failures.js';
import { GitCommandError } from './git-process.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

interface Cached {
  tip: string;
  /** The file's blob id at `tip` and its parsed content, once known. */
  file: Promise<{ blob: string; parsed: PipelineFile }>;
}

/** The last read per (workspace, branch): a commit's content never changes, so its id is the whole key. */
const cache = new WeakMap<Workspace, Map<string, Cached>>();

export async function readPipelineFile(repository: string, branch: string, app: string, options?: WorkspaceOptions): Promise<AppPipeline> {
  const workspace = Workspace.open(repository, options);
  const tip = await workspace.remoteTip(branch);
  let byBranch = cache.get(workspace);
  if (!byBranch) cache.set(workspace, (byBranch = new Map()));
  let entry = byBranch.get(branch);
  if (entry?.tip !== tip) {
    // Readers of the same new tip share one fetch; a failed read is forgotten so the next one tries again.
    const previous = entry?.file.catch(() => undefined);
    const mine: Cached = { tip, file: readAt(workspace, branch, tip, app, repository, previous) };
    byBranch.set(branch, mine);
    mine.file.catch(() => {
      if (byBranch.get(branch) === mine) byBranch.delete(branch);
    });
    entry = mine;
  }
  // A copy: the parsed file is shared by every reader.
  return structuredClone(resolveAppPipeline((await entry.file).parsed, app));
}

async function readAt(
  workspace: Workspace,
  branch: string,
  tip: string,
  app: string,
  repository: string,
  previous: Promise<{ blob: string; parsed: PipelineFile } | undefined> | undefined,
): Promise<{ blob: string; parsed: PipelineFile }> {
  await workspace.fetchForReading(branch);
  const missing = () =>
    terminal(TERMINAL.invalidConfig, `${PIPELINE_FILE_NAME} is missing at the root of branch ${branch}; add one (three lines will do: apps:\\n  ${app}: {})`);
  let blob: string;
  try {
    // The tip the remote named, not whatever the fetch found: this entry must hold that commit's file. Promotions
    // only move a branch forward, so the fetched tip contains it.
    blob = (await workspace.git(['rev-parse', '--verify', '--quiet', `${tip}:${PIPELINE_FILE_NAME}`])).trim();
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    // Exit 1 without output: no such path, or no such commit here (the branch was rewritten since ls-remote).
    const hasTip = await workspace.git(['cat-file', '-e', `${tip}^{commit}`]).then(() => true, () => false);
    if (hasTip) throw missing();
    throw retryable(RETRYABLE.gitUnavailable, `branch ${branch} moved to a commit that does not contain ${tip.slice(0, 12)} while reading ${PIPELINE_FILE_NAME}; reading again`);
  }
  const before = await previous;
  if (before?.blob === blob) return before;
  const text = await workspace.git(['cat-file', 'blob', blob]);
  return { blob, parsed: parsePipelineFile(text, { repository }) };
}
