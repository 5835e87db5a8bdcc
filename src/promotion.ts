// The promotion's vocabulary, shared by the workflow, the activities, the CLI and the tests.
// Only types and pure constants: this module is bundled into workflow code.

export interface PromotionInput {
  app: string;
  /** OCI image reference: `registry/repo:tag`, `repo@sha256:...`, or both. */
  image: string;
  requestedBy: string;
  /** Free-form context such as the CI run URL or the source commit; recorded in commit trailers. */
  metadata?: Record<string, string>;
  /** Overrides the worker's default GitOps repository (a URL without credentials). */
  repository?: string;
}

/**
 * With the default environments the stages are dev-sync, staging-promote, approval, prod-promote and
 * verify-health; other pipelines name theirs after their environments (see stageNames in the workflow).
 */
export type StageName = string;

export type PromotionState =
  | 'starting'
  | 'promoting'
  | 'awaiting-approval'
  | 'verifying'
  | 'rolling-back'
  | 'promoted'
  | 'rejected'
  | 'expired'
  | 'superseded'
  | 'failed'
  | 'rolled-back'
  | 'rollback-failed';

export interface Approval {
  approver: string;
  comment?: string;
  at: string;
}

/** One JSON object, so the Web UI's signal form and `temporal workflow signal --input` can send it. */
export interface ApprovalDecision {
  approver: string;
  comment?: string;
}

export interface StageRecord {
  stage: StageName;
  environment?: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'rolled-back';
  startedAt?: string;
  finishedAt?: string;
  /** Commit this stage pushed to the GitOps repository. */
  commit?: string;
  /** Image the environment ran before this stage (used to restore if a revert conflicts). */
  previousImage?: string;
  /** Revision Argo CD reported as synced for this stage. */
  argocdRevision?: string;
  failure?: string;
  rollback?: { commit: string; method: 'revert' | 'restore-image'; healthy: boolean; failure?: string };
}

export interface PromotionStatus {
  app: string;
  image: string;
  requestedBy: string;
  state: PromotionState;
  currentStage?: StageName;
  stages: StageRecord[];
  approvals: Approval[];
  rejections: Approval[];
  /** Refused decisions (unknown approver, self-approval, too late), kept for the audit. */
  refused: Array<Approval & { reason: string }>;
  failure?: string;
}

export interface PromotionResult {
  state: Extract<PromotionState, 'promoted' | 'rejected' | 'expired' | 'superseded' | 'rolled-back' | 'rollback-failed'>;
  status: PromotionStatus;
}

/** Git commit trailers that make every promotion commit findable, so a retried activity never commits twice. */
export const TRAILER_PROMOTION = 'Promenade-Promotion';
export const TRAILER_STAGE = 'Promenade-Stage';
export const TRAILER_IMAGE = 'Promenade-Image';
export const TRAILER_APPROVED_BY = 'Approved-by';
export const TRAILER_REVERTS = 'Promenade-Reverts';

/** Custom search attributes, registered on the dev server by `npm start` and the test setup. */
export const SEARCH_ATTRIBUTES = {
  app: 'PromotionApp',
  image: 'PromotionImage',
  state: 'PromotionState',
} as const;

export const TASK_QUEUE = 'promenade';

/**
 * Workflow IDs say what they are. Starting the same app and image again while it runs attaches to the running
 * promotion (CI retries are harmless); once it has ended, the same ID may start a new run.
 */
export function promotionWorkflowId(app: string, image: string): string {
  return `promote:${app}:${image}`;
}

/** The app's lane workflow (see workflows/app-lane.ts); one per app among the workers of a task queue. */
export function laneWorkflowId(app: string, taskQueue: string): string {
  return `promenade-lane:${taskQueue}:${app}`;
}
