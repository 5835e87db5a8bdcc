// Finds what a promotion did to the GitOps repository from the commit trailers alone, e.g. to show a promotion's
// commits or to find the commit to revert when the workflow's own record of it was lost.
import { TRAILER_SEARCH_WINDOW } from './group-commit.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

export interface PromotionCommit {
  commit: string;
  stage: string;
  subject: string;
}

/** The promotion's commits among the last `window` commits of the branch, newest first. */
export async function findPromotionCommits(request: {
  repository: string;
  branch: string;
  promotionId: string;
  window?: number;
  workspace?: WorkspaceOptions;
}): Promise<PromotionCommit[]> {
  const workspace = Workspace.open(request.repository, request.workspace);
  return workspace.exclusive(async () => {
    await workspace.fetch(request.branch);
    const recent = await workspace.trailerCommits(`refs/remotes/origin/${request.branch}`, request.window ?? TRAILER_SEARCH_WINDOW);
    return recent
      .filter((c) => c.promotion.includes(request.promotionId))
      .flatMap((c) => c.stage.map((stage) => ({ commit: c.commit, stage, subject: c.subject })));
  });
}
