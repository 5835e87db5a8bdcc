// What a promotion reports about itself: its states, stage records, decisions and result. Shared by the workflow,
// the CLI and the tests; only types and pure constants, because this module is bundled into workflow code.
import type { LaneRequest } from './contract.js';

/**
 * With the default environments the stages are dev-sync, staging-promote, approval, prod-promote and
 * verify-health; other pipelines name theirs after their environments (see stageNames in the workflow).
 */
export type StageName = string;

/** Every state a promotion reports (the PromotionState search attribute); `promenade list --state` offers these. */
export const PROMOTION_STATES = [
  'starting',
  'promoting',
  'awaiting-approval',
  'verifying',
  'rolling-back',
  'promoted',
  'rejected',
  'expired',
  'superseded',
  'failed',
  'rolled-back',
  'rollback-failed',
] as const;

export type PromotionState = (typeof PROMOTION_STATES)[number];

/** The states a promotion ends in: one in them holds no place in its app's lane any more. */
export const FINAL_STATES: readonly PromotionState[] = ['promoted', 'rejected', 'expired', 'superseded', 'failed', 'rolled-back', 'rollback-failed'];

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
  /** Where this promotion stands in its app's lane; the lane reads it from here (absent before lane-v2). */
  lane?: LaneRequest;
  /** 2 for promotions that speak lane-v2 (their lane reads `lane`); absent for older ones. */
  laneVersion?: 2;
  /** What the promotion waits for besides approvals, e.g. "waiting for promote:myapp:nginx:1.27 to leave prod". */
  waiting?: string;
}

export interface PromotionResult {
  state: Extract<PromotionState, 'promoted' | 'rejected' | 'expired' | 'superseded' | 'rolled-back' | 'rollback-failed'>;
  status: PromotionStatus;
}
