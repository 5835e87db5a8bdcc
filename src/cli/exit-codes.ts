// One exit code per outcome, so CI can branch on `promenade`'s status without parsing its output.
// Documented in the README ("For CI"); changing a number breaks someone's pipeline.

export const EXIT = {
  ok: 0,
  /** The promotion failed before it changed anything, or failed under `rollback: none` (its commits stay), or an unexpected error. */
  failed: 1,
  /** Bad flags, arguments or configuration: fix the command line or the environment. */
  usage: 2,
  rejected: 3,
  expired: 4,
  superseded: 5,
  /** The promotion failed after it changed an environment, and every change was reverted. */
  rolledBack: 6,
  /** A revert failed: an environment may be left on the new image and needs a human. */
  rollbackFailed: 7,
  /** No promotion with that ID. */
  notFound: 8,
  /** Temporal, Argo CD or the git remote did not answer. */
  unreachable: 9,
  /** The server answered but refused our credentials. */
  unauthorized: 10,
  /** An approval or rejection the promotion refused (not an approver, not awaiting approval...). */
  refused: 11,
  /** bootstrap found a different layout or different Argo CD Applications and changed nothing. */
  conflict: 12,
  /** Cancelled (`promenade cancel`) with nothing half-done to roll back. */
  cancelled: 13,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and a specific exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
