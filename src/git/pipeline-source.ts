// Reads promenade.yaml from the GitOps repository at the branch tip the promotion starts from, and validates it
// once: downstream code only ever sees a resolved AppPipeline. Every promotion reads it, often many at once, so
// the read stays off the clone's commit queue: the tip is asked of the remote (`ls-remote`), only a tip the clone
// does not hold yet (another writer's) costs a fetch, and a file whose content (blob) did not change is not parsed
// again.
import type { AppPipeline, PipelineFile } from '../config/pipeline.js';
import { PIPELINE_FILE_NAME, parsePipelineFile, resolveAppPipeline } from '../config/pipeline-file.js';
import { RETRYABLE, TERMINAL, retryable, terminal } from '../failures.js';
import { GitCommandError } from './git-process.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

interface Cached {
  tip: string;
  /** The file's blob id at `tip` and its parsed content, once known. */
  file: Promise<{ blob: string; parsed: PipelineFile }>;
}

/** The last read per (workspace, branch): a commit's content never changes, so its id is the whole key. */
const cache = new WeakMap<Workspace, Map<string, Cached>>();

/** `signal` stops this reader's own git process (the ls-remote); a fetch shared with other readers runs on. */
export async function readPipelineFile(repository: string, branch: string, app: string, options?: WorkspaceOptions, signal?: AbortSignal): Promise<AppPipeline> {
  const workspace = Workspace.open(repository, options);
  const tip = await workspace.remoteTip(branch, signal);
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
  // A tip this worker pushed itself is already in the clone: no fetch. Objects never change, so reading them
  // needs no lock either.
  let found = workspace.cloned ? await lookUp(workspace, tip) : { commit: false, blob: undefined };
  if (!found.commit) {
    await workspace.fetchForReading(branch);
    found = await lookUp(workspace, tip);
  }
  if (!found.commit) {
    // Promotions only move a branch forward, so the fetched tip contains the one ls-remote named; unless someone
    // rewrote the branch in between.
    throw retryable(RETRYABLE.gitUnavailable, `branch ${branch} moved to a commit that does not contain ${tip.slice(0, 12)} while reading ${PIPELINE_FILE_NAME}; reading again`);
  }
  if (!found.blob) {
    throw terminal(TERMINAL.invalidConfig, `${PIPELINE_FILE_NAME} is missing at the root of branch ${branch}; add one (three lines will do: apps:\n  ${app}: {})`);
  }
  const before = await previous;
  if (before?.blob === found.blob) return before;
  const text = await workspace.git(['cat-file', 'blob', found.blob]);
  return { blob: found.blob, parsed: parsePipelineFile(text, { repository }) };
}

/** Whether the clone has commit `tip`, and the id of its promenade.yaml: both in one git process. */
async function lookUp(workspace: Workspace, tip: string): Promise<{ commit: boolean; blob: string | undefined }> {
  let out: string;
  try {
    out = await workspace.git(['ls-tree', '--full-tree', `${tip}^{commit}`, '--', PIPELINE_FILE_NAME]);
  } catch (error) {
    // `not a tree object`: the clone does not have the commit (yet).
    if (error instanceof GitCommandError && error.exitCode === 128 && /not a tree object|bad object|not a valid object/i.test(error.stderr)) return { commit: false, blob: undefined };
    throw error;
  }
  const blob = /^\d+ blob ([0-9a-f]+)\t/.exec(out)?.[1];
  return { commit: true, blob };
}
