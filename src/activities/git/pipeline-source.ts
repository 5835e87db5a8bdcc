// Reads promenade.yaml from the GitOps repository at the branch tip the promotion starts from, and validates it
// once: downstream code only ever sees a resolved AppPipeline. Every promotion reads it, often many at once, so
// the tip is asked of the remote (one `ls-remote`, no clone lock) and the file is fetched and parsed only when
// the tip has moved since the last read.
import type { AppPipeline, PipelineFile } from '../../config/pipeline.js';
import { PIPELINE_FILE_NAME, parsePipelineFile, resolveAppPipeline } from '../../config/pipeline-file.js';
import { TERMINAL, terminal } from '../../failures.js';
import { GitCommandError } from './git-process.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

interface Parsed {
  tip: string;
  file: Promise<PipelineFile>;
}

/** The last parsed file per (workspace, branch): a commit's content never changes, so the tip is the whole key. */
const parsed = new WeakMap<Workspace, Map<string, Parsed>>();

export async function readPipelineFile(repository: string, branch: string, app: string, options?: WorkspaceOptions): Promise<AppPipeline> {
  const workspace = Workspace.open(repository, options);
  const tip = await workspace.remoteTip(branch);
  let byBranch = parsed.get(workspace);
  if (!byBranch) parsed.set(workspace, (byBranch = new Map()));
  let entry = byBranch.get(branch);
  if (entry?.tip !== tip) {
    // Concurrent readers of the same new tip share one fetch and one parse.
    entry = { tip, file: loadAt(workspace, branch, tip, app, repository) };
    byBranch.set(branch, entry);
    const mine = entry;
    // A failed read (unreachable remote, invalid file) is not remembered: the next promotion tries again.
    mine.file.catch(() => {
      if (byBranch.get(branch) === mine) byBranch.delete(branch);
    });
  }
  // A copy: the parsed file is shared by every reader of this tip.
  return structuredClone(resolveAppPipeline(await entry.file, app));
}

async function loadAt(workspace: Workspace, branch: string, tip: string, app: string, repository: string): Promise<PipelineFile> {
  const text = await workspace.exclusive(async () => {
    await workspace.fetch(branch);
    try {
      // The tip the remote named, not whatever the fetch found: the cache entry must hold that commit's file.
      return await workspace.git(['show', `${tip}:${PIPELINE_FILE_NAME}`]);
    } catch (error) {
      if (error instanceof GitCommandError && /does not exist|exists on disk, but not in/i.test(error.stderr)) {
        throw terminal(TERMINAL.invalidConfig, `${PIPELINE_FILE_NAME} is missing at the root of branch ${branch}; add one (three lines will do: apps:\\n  ${app}: {})`);
      }
      throw error;
    }
  });
  return parsePipelineFile(text, { repository });
}
