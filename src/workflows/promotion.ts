// One durable run per promotion: dev-sync, staging-promote, approval, prod-promote, verify-health, and an
// automatic rollback (git revert of this promotion's own commit) when a stage fails after committing.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PromotionActivities } from './contract.js';
import type { AppPipeline, ApprovalPolicy, EnvironmentConfig } from '../config/pipeline.js';
import { InvalidInputError, validatePromotionInput } from '../config/promotion-input.js';
import { NON_RETRYABLE_TYPES } from '../failures.js';
import { TRAILER_APPROVED_BY, TRAILER_IMAGE } from '../git/trailers.js';
import { type Approval, type ApprovalDecision, type PromotionResult, type PromotionState, type PromotionStatus, type StageRecord } from './promotion-status.js';
import { type PromotionInput } from '../config/promotion-input.js';
import { approveSignal, decideUpdate, laneSignal, rejectSignal, statusQuery, type DecisionRequest } from './messages.js';
import { PROMOTION_STATE_KEY, PROMOTION_APP_KEY, PROMOTION_IMAGE_KEY } from './search-attributes.js';
import { initialRecords, planStages, type PlannedStage } from './stages.js';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_TYPES };

const shortStep = { startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 10 } } as const;
const queued = proxyActivities<PromotionActivities>(shortStep);
// Reading promenade.yaml and messaging the app lane take milliseconds: run as local activities they skip the task
// queue round trip and the extra workflow task each queued activity costs, and they never wait for a slot behind
// the long, mostly idle Argo CD waits. Runs started before this change replay with queued activities (see patched).
const local = proxyLocalActivities<PromotionActivities>(shortStep);
export const LOCAL_ACTIVITIES_PATCH = 'local-pipeline-and-lane-activities';
// Git is retried a bounded number of times: an unreachable remote must end in a clear failure, not hang.
const { commitImage, revertStage } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { ...retry, maximumAttempts: 8 },
});
// Waits heartbeat, so a worker that dies mid-wait is noticed in 30 s and the wait resumes elsewhere.
const { syncEnvironment, verifyHealth } = proxyActivities<PromotionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 10 },
});

type GateOutcome = 'approved' | 'rejected' | 'expired' | 'superseded';

export async function promotion(rawInput: PromotionInput): Promise<PromotionResult> {
  let input: PromotionInput;
  try {
    input = validatePromotionInput(rawInput);
  } catch (err) {
    if (err instanceof InvalidInputError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidInput');
    throw err;
  }
  const promotionId = workflowInfo().workflowId;
  const { loadPipeline, signalAppLane } = patched(LOCAL_ACTIVITIES_PATCH) ? local : queued;
  const status: PromotionStatus = {
    app: input.app,
    image: input.image,
    requestedBy: input.requestedBy,
    state: 'starting',
    stages: [],
    approvals: [],
    rejections: [],
    refused: [],
  };
  let policy: ApprovalPolicy | undefined;
  let lane: 'none' | 'claimed' | 'prod-cleared' | 'superseded' = 'none';
  let supersededBy: string | undefined;
  // Signal handlers change `lane` between awaits; read it through a call so the compiler does not narrow it.
  const laneNow = () => lane;

  const setState = (state: PromotionState) => {
    status.state = state;
    upsertSearchAttributes([{ key: PROMOTION_STATE_KEY, value: state }]);
  };
  upsertSearchAttributes([
    { key: PROMOTION_APP_KEY, value: input.app },
    { key: PROMOTION_IMAGE_KEY, value: input.image },
  ]);

  setHandler(statusQuery, () => status);

  // Refused decisions are recorded, not thrown: a signal cannot answer its sender, the audit trail can.
  const refusal = (decision: ApprovalDecision): string | undefined => {
    if (typeof decision?.approver !== 'string' || decision.approver.trim() === '') return 'approver must be a non-empty string';
    if (decision.comment !== undefined && typeof decision.comment !== 'string') return 'comment must be a string';
    if (status.state !== 'awaiting-approval' || !policy) return `promotion is ${status.state}, not awaiting approval`;
    if (policy.forbidSelfApproval && decision.approver === input.requestedBy) return 'the requester may not approve their own promotion';
    if (policy.approvers.length > 0 && !policy.approvers.includes(decision.approver)) return `${decision.approver} is not an allowed approver`;
    return undefined;
  };
  const decide = (kind: 'approve' | 'reject', decision: ApprovalDecision) => {
    const at = new Date().toISOString();
    const reason = refusal(decision);
    const record: Approval = { approver: String(decision?.approver ?? ''), at, ...(typeof decision?.comment === 'string' ? { comment: decision.comment } : {}) };
    if (reason) {
      status.refused.push({ ...record, reason });
      log.warn('decision refused', { promotionId, kind, approver: record.approver, reason });
      return;
    }
    const list = kind === 'approve' ? status.approvals : status.rejections;
    if (!list.some((a) => a.approver === record.approver)) list.push(record);
  };
  setHandler(approveSignal, (decision) => decide('approve', decision));
  setHandler(rejectSignal, (decision) => decide('reject', decision));
  setHandler(
    decideUpdate,
    (request: DecisionRequest) => {
      decide(request.decision, request);
      return { accepted: true as const, state: status.state, approvals: status.approvals.length, required: policy?.required ?? 0 };
    },
    {
      validator: (request: DecisionRequest) => {
        if (request?.decision !== 'approve' && request?.decision !== 'reject') throw new Error('decision must be "approve" or "reject"');
        const reason = refusal(request);
        if (reason) throw new Error(reason);
      },
    },
  );
  setHandler(laneSignal, ({ kind, by }) => {
    if (kind === 'superseded' && lane !== 'prod-cleared') {
      lane = 'superseded';
      supersededBy = by;
    } else if (kind === 'prod-cleared' && lane === 'claimed') {
      lane = 'prod-cleared';
    }
  });

  let pipeline: AppPipeline;
  try {
    pipeline = await loadPipeline({ app: input.app, repository: input.repository });
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Without this the run fails with the bare "Activity task failed" and its status reads "starting" for ever.
    const reason = failureMessage(err);
    status.failure = `start: ${reason}`;
    setState('failed');
    throw promotionFailure(`start failed: ${reason}; nothing committed`, err, status);
  }
  const plan = planStages(pipeline);
  status.stages = initialRecords(plan);
  const record = (name: string): StageRecord => status.stages.find((s) => s.stage === name)!;
  const environment = (name: string): EnvironmentConfig => pipeline.environments.find((e) => e.name === name)!;
  const begin = (stage: PlannedStage) => {
    status.currentStage = stage.name;
    Object.assign(record(stage.name), { status: 'running', startedAt: new Date().toISOString() });
  };
  const end = (stage: PlannedStage, outcome: StageRecord['status'], failure?: string) => {
    Object.assign(record(stage.name), { status: outcome, finishedAt: new Date().toISOString() }, failure ? { failure } : {});
  };
  const laneInUse = plan.some((s) => s.kind === 'approval');

  const approvalGate = async (stage: PlannedStage): Promise<GateOutcome> => {
    policy = environment(stage.environment).approval!;
    setState('awaiting-approval');
    if (lane === 'none') {
      lane = 'claimed';
      await signalAppLane({ app: input.app, message: { kind: 'claim', promotionId, startedAt: workflowInfo().startTime.getTime() } });
    }
    const required = policy.required;
    const decided = await condition(
      () => status.rejections.length > 0 || status.approvals.length >= required || lane === 'superseded',
      policy.timeoutSeconds * 1000,
    );
    if (laneNow() === 'superseded') return 'superseded';
    if (status.rejections.length > 0) return 'rejected';
    if (!decided) return 'expired';
    setState('promoting');
    await signalAppLane({ app: input.app, message: { kind: 'enter-prod', promotionId } });
    await condition(() => lane === 'prod-cleared' || lane === 'superseded');
    return laneNow() === 'superseded' ? 'superseded' : 'approved';
  };

  const trailers = (env: EnvironmentConfig): Array<[string, string]> => {
    const list: Array<[string, string]> = [[TRAILER_IMAGE, input.image], ['Requested-by', input.requestedBy]];
    for (const [key, value] of Object.entries(input.metadata ?? {})) list.push([`Promenade-Meta-${key}`, value]);
    if (env.approval) for (const a of status.approvals) list.push([TRAILER_APPROVED_BY, a.comment ? `${a.approver} (${a.comment})` : a.approver]);
    return list;
  };

  // Environments this promotion committed to and that are not known good yet, in commit order.
  const unverified: Array<{ stage: PlannedStage; env: EnvironmentConfig }> = [];

  const promoteEnvironment = async (stage: PlannedStage) => {
    const env = environment(stage.environment);
    const commit = await commitImage({
      app: input.app,
      repository: pipeline.repository,
      branch: pipeline.branch,
      environment: env,
      promotionId,
      stage: stage.name,
      image: input.image,
      trailers: trailers(env),
    });
    Object.assign(record(stage.name), { commit: commit.commit, previousImage: commit.previousImage });
    if (!commit.noChange) unverified.push({ stage, env });
    const synced = await syncEnvironment({
      repository: pipeline.repository,
      branch: pipeline.branch,
      environment: env,
      image: input.image,
      revision: commit.commit,
      promotionId,
      stage: stage.name,
    });
    record(stage.name).argocdRevision = synced.revision;
  };

  const rollback = async (failedEnvironment: string): Promise<boolean> => {
    const scope = pipeline.rollback;
    const targets =
      scope === 'none' ? [] : scope === 'failed-environment' ? unverified.filter((u) => u.env.name === failedEnvironment) : [...unverified].reverse();
    if (targets.length === 0) return true;
    setState('rolling-back');
    let healthy = true;
    for (const { stage, env } of targets) {
      const stageRecord = record(stage.name);
      try {
        const revert = await revertStage({
          repository: pipeline.repository,
          branch: pipeline.branch,
          environment: env,
          promotionId,
          stage: stage.name,
          commit: stageRecord.commit!,
          image: input.image,
          previousImage: stageRecord.previousImage,
        });
        stageRecord.rollback = { commit: revert.commit, method: revert.method, healthy: false };
        await syncEnvironment({
          repository: pipeline.repository,
          branch: pipeline.branch,
          environment: env,
          image: stageRecord.previousImage ?? '',
          revision: revert.commit,
          promotionId,
          stage: `${stage.name}-rollback`,
        });
        stageRecord.rollback.healthy = true;
        stageRecord.status = 'rolled-back';
      } catch (err) {
        healthy = false;
        const message = failureMessage(err);
        stageRecord.rollback = { ...(stageRecord.rollback ?? { commit: '', method: 'revert', healthy: false }), failure: message };
        log.error('rollback failed', { promotionId, stage: stage.name, error: message });
      }
    }
    return healthy;
  };

  const finish = async (state: PromotionResult['state']): Promise<PromotionResult> => {
    status.currentStage = undefined;
    setState(state);
    await condition(allHandlersFinished);
    return { state, status };
  };

  let failedStage: PlannedStage | undefined;
  try {
    setState('promoting');
    for (const stage of plan) {
      failedStage = stage;
      begin(stage);
      if (stage.kind === 'approval') {
        const outcome = await approvalGate(stage);
        if (outcome !== 'approved') {
          end(stage, 'failed', outcome === 'superseded' ? `superseded by ${supersededBy ?? 'a newer promotion'}` : outcome);
          for (const later of plan.slice(plan.indexOf(stage) + 1)) end(later, 'skipped');
          return await finish(outcome);
        }
        end(stage, 'succeeded');
      } else if (stage.kind === 'promote') {
        await promoteEnvironment(stage);
        end(stage, 'succeeded');
      } else {
        setState('verifying');
        const promoted = record(plan.find((s) => s.kind === 'promote' && s.environment === stage.environment)!.name);
        // Watch what Argo CD deployed: on an auto-sync app that can be a later commit carrying ours.
        await verifyHealth({
          environment: environment(stage.environment),
          revision: promoted.argocdRevision ?? promoted.commit!,
          soakSeconds: environment(stage.environment).soakSeconds,
        });
        end(stage, 'succeeded');
        setState('promoting');
      }
      // An environment is known good once its last stage (promote, or its soak) passed.
      const lastOfEnv = [...plan].reverse().find((s) => s.environment === stage.environment);
      if (lastOfEnv === stage) unverified.splice(0, unverified.length, ...unverified.filter((u) => u.env.name !== stage.environment));
    }
    return await finish('promoted');
  } catch (err) {
    const cancelled = isCancellation(err);
    const stage = failedStage!;
    const reason = cancelled ? 'promotion cancelled' : failureMessage(err);
    if (status.stages.length > 0 && record(stage.name)) end(stage, 'failed', reason);
    status.failure = `${stage?.name ?? 'start'}: ${reason}`;
    if (!stage || unverified.length === 0) {
      setState('failed');
      throw cancelled ? err : promotionFailure(`${stage?.name ?? 'start'} failed: ${reason}; nothing to roll back`, err, status);
    }
    // Rollback runs even when the promotion was cancelled after it changed an environment.
    const healthy = await CancellationScope.nonCancellable(() => rollback(stage.environment));
    const reverted = status.stages.filter((s) => s.status === 'rolled-back').map((s) => `${s.environment} (${s.rollback?.commit.slice(0, 12)})`);
    setState(healthy ? 'rolled-back' : 'rollback-failed');
    const summary = healthy
      ? `${stage.name} failed: ${reason}; rolled back ${reverted.join(', ') || 'nothing'}`
      : `${stage.name} failed: ${reason}; ROLLBACK FAILED, needs a human: ${status.stages.filter((s) => s.rollback?.failure).map((s) => `${s.environment}: ${s.rollback!.failure}`).join('; ')}`;
    throw ApplicationFailure.create({ type: healthy ? 'PromotionRolledBack' : 'RollbackFailed', message: summary, nonRetryable: true, details: [status] });
  } finally {
    if (laneInUse && lane !== 'none') {
      await CancellationScope.nonCancellable(() => signalAppLane({ app: input.app, message: { kind: 'release', promotionId } }));
    }
  }
}

function failureMessage(err: unknown): string {
  if (err instanceof Error) {
    // Activity failures wrap the activity's own error: the cause says what actually went wrong.
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}

function promotionFailure(message: string, err: unknown, status: PromotionStatus): ApplicationFailure {
  return ApplicationFailure.create({ type: 'PromotionFailed', message, nonRetryable: true, details: [status], cause: err instanceof Error ? err : undefined });
}
