// What the workflow asks of the outside world: the activities' inputs and outputs. Types only, so workflow
// code can import them; the implementations are wired in ./index.ts.
import type { HealthWatchSummary } from '../argocd/health-watch.js';
import type { AppPipeline, Concurrency, EnvironmentConfig } from '../config/pipeline.js';
import type { CheckMeasurement } from '../verification/measurement.js';
import type { PromotionState } from './promotion-status.js';
import type { Credential, Verification } from '../identity/verified-identity.js';

export interface LoadPipelineInput {
  app: string;
  repository?: string;
}

export interface CommitImageInput {
  app: string;
  repository: string;
  branch: string;
  environment: EnvironmentConfig;
  promotionId: string;
  stage: string;
  image: string;
  /** Extra commit trailers (approvals, CI metadata), in order. */
  trailers: Array<[string, string]>;
}

export interface CommitImageResult {
  commit: string;
  previousImage?: string;
  /** Found on the remote from an earlier attempt of the same stage: nothing was pushed this time. */
  alreadyCommitted: boolean;
  /** The environment already had the image: no commit was made and `commit` is the branch tip. */
  noChange: boolean;
}

export interface SyncEnvironmentInput {
  repository: string;
  branch: string;
  environment: EnvironmentConfig;
  /** The image the stage's commit declares (a later auto-synced commit counts if it still declares it). */
  image: string;
  revision: string;
  promotionId: string;
  stage: string;
}

export interface SyncEnvironmentResult {
  revision: string;
  health: string;
  syncedAt?: string;
  requests: number;
}

export interface VerifyHealthInput {
  environment: EnvironmentConfig;
  revision: string;
  soakSeconds: number;
}

export interface VerifyChecksInput {
  environment: EnvironmentConfig;
  /** `healthy`: once, right after the environment is healthy; `soak`: on every interval through the soak. */
  during: 'healthy' | 'soak';
  soakSeconds: number;
}

export interface VerifyChecksResult {
  passed: boolean;
  /** `check <name>: <reason>` when a check failed (or could not be measured, past its errorLimit). */
  failure?: string;
  measurements: CheckMeasurement[];
}

export interface RevertStageInput {
  repository: string;
  branch: string;
  environment: EnvironmentConfig;
  promotionId: string;
  stage: string;
  commit: string;
  /** The image the stage promoted: a fallback restore refuses to overwrite someone else's later change. */
  image: string;
  previousImage?: string;
}

export interface RevertStageResult {
  commit: string;
  method: 'revert' | 'restore-image';
  alreadyReverted: boolean;
}

/**
 * A credential to check. The workflow supplies what it knows itself (promotion, run, gate, image); from the message
 * come only the decision, its comment and the credential. `approver` is the sender's own text: it may pick among the
 * names one key is listed under, never who decided.
 */
export type VerifyDecisionInput =
  | {
      purpose: 'decision';
      promotionId: string;
      runId: string;
      gate: string;
      image: string;
      decision: 'approve' | 'reject';
      comment?: string;
      approver?: string;
      credential: Credential;
    }
  | { purpose: 'request'; promotionId: string; runId: string; credential: Credential };

/**
 * What a promotion sends its lane. Before the lane-v2 patch these were orders; now every one of them is only a
 * nudge naming a promotion, which the lane then inspects itself (see app-lane.ts). Old promotions still send the
 * first three.
 */
export type LaneMessage =
  | { kind: 'claim'; promotionId: string; startedAt: number }
  | { kind: 'enter-prod'; promotionId: string }
  | { kind: 'release'; promotionId: string }
  | { kind: 'nudge'; promotionId: string };

/** Where a promotion stands in its lane, published in its own status (the lane reads it from there, never from a message). */
export interface LaneRequest {
  environment: string;
  /** Position of the environment in the pipeline. */
  index: number;
  /** Waiting at the environment's approval gate, not yet approved. */
  atGate: boolean;
  /** The environment has an approval gate: a promotion past it is not superseded there. */
  gated: boolean;
  /** The pipeline's last environment (prod), which only moves forward. */
  last: boolean;
  concurrency: Concurrency;
  allowOlder: boolean;
}

/** The lane's answer for one promotion. */
export type LaneDecision =
  | { kind: 'enter'; environment: string }
  | { kind: 'gate'; environment: string }
  | { kind: 'wait'; environment: string; for?: string }
  | { kind: 'superseded'; environment: string; by: string }
  | { kind: 'unknown' };

/** What the lane learned about a promotion by asking Temporal and the promotion itself (inspectPromotions). */
export interface PromotionSighting {
  promotionId: string;
  /** Running, of type `promotion`, on this task queue and promoting this app. */
  running: boolean;
  /** Temporal's own start time of the run, not a claim. */
  startedAt?: number;
  state?: PromotionState;
  request?: LaneRequest;
  /** Started before lane-v2 and already let into `request.environment` by the old lane. */
  inside?: boolean;
  /** The status query failed (e.g. a stuck workflow task): keep what was known. */
  unanswered?: boolean;
}

export interface PromotionActivities {
  loadPipeline(input: LoadPipelineInput): Promise<AppPipeline>;
  commitImage(input: CommitImageInput): Promise<CommitImageResult>;
  syncEnvironment(input: SyncEnvironmentInput): Promise<SyncEnvironmentResult>;
  verifyHealth(input: VerifyHealthInput): Promise<HealthWatchSummary>;
  /** Runs the environment's http and prometheus checks; a failed check is a result, not an error, so it reaches the status. */
  verifyChecks(input: VerifyChecksInput): Promise<VerifyChecksResult>;
  revertStage(input: RevertStageInput): Promise<RevertStageResult>;
  /** Delivers a message to the app's lane workflow, starting it if needed (signal-with-start). */
  signalAppLane(input: { app: string; message: LaneMessage }): Promise<void>;
  /** Checks a decision's or a request's credential; a refusal is a result, not an error (see identity/). */
  verifyDecision(input: VerifyDecisionInput): Promise<Verification>;
  /** Whether a promotion workflow is still running (the pre-v2 lane drops holders that were terminated). */
  isPromotionRunning(input: { promotionId: string }): Promise<boolean>;
  /** The lane's decision for one promotion, read by querying the lane workflow. */
  readLane(input: { app: string; promotionId: string }): Promise<LaneDecision>;
  /** For each named workflow: is it a running promotion of this app, since when, and where it stands. */
  inspectPromotions(input: { app: string; promotionIds: string[] }): Promise<PromotionSighting[]>;
}
