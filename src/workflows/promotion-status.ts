// What a promotion reports about itself: its states, stage records, decisions and result. Shared by the workflow,
// the CLI and the tests; only types and pure constants, because this module is bundled into workflow code.
import type { CheckMeasurement } from '../verification/measurement.js';
import type { IdentityRequirement, PolicyInForce } from '../config/pipeline.js';
import type { LaneRequest } from './contract.js';
import type { Credential, Mechanism, VerifiedIdentity } from '../identity/verified-identity.js';

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
  /** The gate (its stage name) the decision was made to; absent in runs started before gates held their own. */
  gate?: StageName;
  /** `asserted`: the approver's name as the sender typed it; `verified`: an identity promenade checked. */
  identity?: IdentityRequirement;
  /** What the decision's credential proved (`approver` is then its subject); absent for an asserted decision. */
  proof?: VerifiedIdentity;
}

/** One JSON object, so the Web UI's signal form and `temporal workflow signal --input` can send it. */
export interface ApprovalDecision {
  approver: string;
  comment?: string;
  /** The gate it is meant for (its stage name, e.g. `approval`, or its environment, e.g. `prod`). */
  gate?: string;
  /** An SSH signature over this decision, or an ID token (see identity/); `promenade approve --print` makes one. */
  credential?: Credential;
}

/** One approval gate's own decisions, checked against its own policy while it was open. */
export interface GateRecord {
  gate: StageName;
  environment: string;
  state: 'waiting' | 'open' | 'approved' | 'rejected' | 'expired' | 'superseded';
  required: number;
  identity: IdentityRequirement;
  /** Who may decide; empty = anyone. */
  approvers: string[];
  approvals: Approval[];
  rejections: Approval[];
}

/** How many refused decisions status keeps in full; older ones are only counted. */
export const REFUSED_KEPT = 10;

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
  /** The environment's checks: their latest measurements (value, phase, when), healthy phase then soak. */
  checks?: CheckMeasurement[];
}

export interface PromotionStatus {
  app: string;
  image: string;
  requestedBy: string;
  /** The requester as their CI's ID token proved them, when the promotion was started with one. */
  requester?: VerifiedIdentity;
  state: PromotionState;
  currentStage?: StageName;
  stages: StageRecord[];
  approvals: Approval[];
  rejections: Approval[];
  /** Refused decisions (unknown approver, self-approval, too late, malformed), the latest REFUSED_KEPT of them. */
  refused: Array<Approval & { reason: string; /** The kind of credential it carried, if any. */ mechanism?: Mechanism }>;
  /** Every refused decision, counted. */
  refusedCount?: number;
  /** Each gate's own decisions; `approvals`/`rejections` above list every gate's together. */
  gates?: GateRecord[];
  /** The policy the gates were held to when the promotion started. */
  policy?: PolicyInForce;
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
