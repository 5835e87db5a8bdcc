// What the workflow asks of the outside world: the activities' inputs and outputs. Types only, so workflow
// code can import them; the implementations are wired in ./index.ts.
import type { HealthWatchSummary } from '../argocd/health-watch.js';
import type { AppPipeline, EnvironmentConfig } from '../config/pipeline.js';
import type { CheckMeasurement } from '../verification/measurement.js';

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

export type LaneMessage =
  | { kind: 'claim'; promotionId: string; startedAt: number }
  | { kind: 'enter-prod'; promotionId: string }
  | { kind: 'release'; promotionId: string };

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
  /** Whether a promotion workflow is still running (the lane drops holders that were terminated). */
  isPromotionRunning(input: { promotionId: string }): Promise<boolean>;
}
