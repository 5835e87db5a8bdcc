// Reads promenade.yaml from the GitOps repository through the worker's cached clone, at the branch tip the
// promotion starts from, and validates it once: downstream code only ever sees a resolved AppPipeline.
import type { AppPipeline } from '../../config/pipeline.js';
import { PIPELINE_FILE_NAME, parsePipelineFile, resolveAppPipeline } from '../../config/pipeline-file.js';
import { TERMINAL, terminal } from '../../failures.js';
import { GitCommandError } from './git-process.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

export async function readPipelineFile(repository: string, branch: string, app: string, options?: WorkspaceOptions): Promise<AppPipeline> {
  const workspace = Workspace.open(repository, options);
  const text = await workspace.exclusive(async () => {
    const tip = await workspace.fetch(branch);
    try {
      return await workspace.git(['show', `${tip}:${PIPELINE_FILE_NAME}`]);
    } catch (error) {
      if (error instanceof GitCommandError && /does not exist|exists on disk, but not in/i.test(error.stderr)) {
        throw terminal(TERMINAL.invalidConfig, `${PIPELINE_FILE_NAME} is missing at the root of branch ${branch}; add one (three lines will do: apps:\\n  ${app}: {})`);
      }
      throw error;
    }
  });
  return resolveAppPipeline(parsePipelineFile(text, { repository }), app);
}
