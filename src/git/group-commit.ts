// Lands changes on a branch of the GitOps repository, exactly once per (promotion, stage), with one push per
// batch. Changes queued while a push is in flight go out together in the next one: each is its own commit, but
// a hundred promotions at once cost a couple of pushes, not a push storm. Across processes and machines the
// remote is the arbiter: a rejected push means someone else landed first, so the batch is re-applied on the new
// tip (the edits, not a textual rebase) and pushed again. Nothing is ever force-pushed.
import { setTimeout as sleep } from 'node:timers/promises';
import { TRAILER_PROMOTION, TRAILER_STAGE } from './trailers.js';
import { CONTROL_CHARACTERS, isBranchName } from '../config/text-rules.js';
import { RETRYABLE, TERMINAL, retryable, terminal } from '../failures.js';
import type { TrailerCommit, Workspace } from './workspace.js';

/**
 * How far back on the branch a retried step looks for the commit it may already have pushed. A retry follows its
 * first attempt within the stage's timeout, in which even a busy GitOps repository lands far fewer commits; the
 * bound keeps the lookup at milliseconds on a repository with tens of thousands of commits. Past it, the edit is
 * still idempotent (the image is already there, so no commit is made), just reported as `noChange`.
 */
export const TRAILER_SEARCH_WINDOW = 2000;

export interface Change<D> {
  branch: string;
  promotionId: string;
  /** Value of the Promenade-Stage trailer that marks this change's commit. */
  stage: string;
  /** Makes at most one commit on top of the workspace's HEAD; `committed: false` when there was nothing to do. */
  apply(workspace: Workspace): Promise<{ committed: boolean; detail: D }>;
  /** What to report when the commit was already on the branch (a retry of a step that had pushed). */
  recall(workspace: Workspace, found: TrailerCommit): Promise<D>;
}

export interface Landed<D> {
  commit: string;
  alreadyCommitted: boolean;
  /** Nothing to change: `commit` is the branch tip the change found already in the wanted state. */
  noChange: boolean;
  /** Pushes tried for the batch this change went out in (0 when nothing had to be pushed). */
  pushAttempts: number;
  detail: D;
}

interface Queued {
  change: Change<unknown>;
  resolve(landed: Landed<unknown>): void;
  reject(error: unknown): void;
}

const queues = new WeakMap<Workspace, { waiting: Queued[]; draining: boolean }>();

export function landChange<D>(workspace: Workspace, change: Change<D>): Promise<Landed<D>> {
  // The branch reaches git's command line; keep it a plain branch name, never an option or a revision range.
  if (!isBranchName(change.branch)) {
    return Promise.reject(terminal(TERMINAL.invalidInput, `branch ${JSON.stringify(change.branch)} is not a valid branch name`));
  }
  let queue = queues.get(workspace);
  if (!queue) {
    queue = { waiting: [], draining: false };
    queues.set(workspace, queue);
  }
  const landed = new Promise<Landed<D>>((resolve, reject) => {
    queue.waiting.push({ change: change as Change<unknown>, resolve: resolve as Queued['resolve'], reject });
  });
  if (!queue.draining) void drain(workspace, queue);
  return landed;
}

async function drain(workspace: Workspace, queue: { waiting: Queued[]; draining: boolean }): Promise<void> {
  queue.draining = true;
  try {
    while (queue.waiting.length > 0) {
      // One turn of the event loop lets calls made in the same tick join this batch.
      await sleep(0);
      const branch = queue.waiting[0]!.change.branch;
      const batch = queue.waiting.filter((q) => q.change.branch === branch);
      queue.waiting = queue.waiting.filter((q) => q.change.branch !== branch);
      await workspace.exclusive(() => landBatch(workspace, branch, batch)).catch((error) => batch.forEach((q) => q.reject(error)));
    }
  } finally {
    queue.draining = false;
  }
}

async function landBatch(workspace: Workspace, branch: string, batch: Queued[]): Promise<void> {
  let pending = batch;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const tip = await workspace.fetch(branch);
    const recent = await workspace.trailerCommits(`refs/remotes/origin/${branch}`, TRAILER_SEARCH_WINDOW);
    const toApply: Queued[] = [];
    for (const queued of pending) {
      const found = recent.find((c) => c.promotion.includes(queued.change.promotionId) && c.stage.includes(queued.change.stage));
      if (!found) {
        toApply.push(queued);
        continue;
      }
      try {
        const detail = await queued.change.recall(workspace, found);
        queued.resolve({ commit: found.commit, alreadyCommitted: true, noChange: false, pushAttempts: attempt - 1, detail });
      } catch (error) {
        queued.reject(error);
      }
    }

    if (toApply.length === 0) return;
    await workspace.checkout(tip);
    const outcomes: Array<{ queued: Queued; committed: boolean; detail: unknown }> = [];
    for (const queued of toApply) {
      try {
        const { committed, detail } = await queued.change.apply(workspace);
        outcomes.push({ queued, committed, detail });
      } catch (error) {
        // This change alone fails (a manifest without the container, say); the others still land. A change makes
        // at most one commit, as its last step, so HEAD is still the previous change's commit.
        await workspace.checkout('HEAD');
        queued.reject(error);
      }
    }
    // Every commit's id in one git process, not one per change: a batch can hold a hundred.
    const committed = outcomes.filter((o) => o.committed).length;
    const made = committed > 0 ? (await workspace.git(['rev-list', '--reverse', `${tip}..HEAD`])).split('\n').filter(Boolean) : [];
    if (made.length !== committed) throw new Error(`group commit on ${branch}: ${made.length} commits on top of ${tip} for ${committed} changes`);
    let head = tip;
    let next = 0;
    const applied = outcomes.map((o) => ({ ...o, commit: o.committed ? (head = made[next++]!) : head }));
    if (!applied.some((a) => a.committed)) {
      applied.forEach((a) => a.queued.resolve({ commit: a.commit, alreadyCommitted: false, noChange: true, pushAttempts: attempt - 1, detail: a.detail }));
      return;
    }

    if ((await workspace.push(branch)) === 'pushed') {
      applied.forEach((a) =>
        a.queued.resolve({ commit: a.commit, alreadyCommitted: false, noChange: !a.committed, pushAttempts: attempt, detail: a.detail }),
      );
      return;
    }
    if (attempt >= workspace.maxPushAttempts) {
      const error = retryable(RETRYABLE.pushRejected, `push to ${branch} was rejected ${attempt} times: the branch keeps moving; retrying later`);
      applied.forEach((a) => a.queued.reject(error));
      return;
    }
    pending = applied.map((a) => a.queued);
    // Full jitter, so processes that lost the same race do not collide again in lockstep.
    await sleep(Math.random() * Math.min(2000, 50 * 2 ** attempt));
  }
}

/** The trailer block promenade writes under every commit message. Keys become git trailer tokens. */
export function trailerBlock(promotionId: string, stage: string, extra: Array<[string, string]>): string {
  const lines: Array<[string, string]> = [[TRAILER_PROMOTION, promotionId], [TRAILER_STAGE, stage], ...extra];
  return lines
    .map(([key, value]) => {
      // Git only reads `[A-Za-z0-9-]+: value` as a trailer; metadata keys such as `ci.run` are spelled `ci-run`.
      const token = key.replace(/[^A-Za-z0-9-]/g, '-');
      if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(token) || CONTROL_CHARACTERS.test(value) || value.trim() === '') {
        throw terminal(TERMINAL.invalidInput, `commit trailer ${JSON.stringify(key)}: ${JSON.stringify(value)} is not a single-line trailer`);
      }
      return `${token}: ${value.trim()}`;
    })
    .join('\n');
}
