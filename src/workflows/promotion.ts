// One durable run per promotion. With the default environments it runs the stages dev-sync, staging-promote,
// approval, prod-promote and verify-health (planStages names them after the pipeline's environments), and rolls
// back (git revert of this promotion's own commits) when a stage fails after committing.
import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, patched, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AppPipeline, EnvironmentConfig } from '../config/pipeline.js';
import { InvalidInputError, validatePromotionInput, type PromotionInput } from '../config/promotion-input.js';
import { failureMessage } from '../failures.js';
import { TRAILER_APPROVED_BY, TRAILER_IMAGE, TRAILER_METADATA_PREFIX, TRAILER_REQUESTED_BY } from '../git/trailers.js';
import { commitImage, shortSteps, syncEnvironment, verifyHealth } from './activities.js';
import { currentDetails } from './current-details.js';
import { ApprovalGate, GATES_HOLD_PATCH, type GateOutcome } from './approval-gate.js';
import { runEnvironmentChecks, soakWithChecks } from './environment-checks.js';
import { LaneAccess } from './lane-access.js';
import { statusQuery } from './messages.js';
import type { Approval, PromotionResult, PromotionState, PromotionStatus } from './promotion-status.js';
import { rollBack, UnverifiedEnvironments } from './rollback.js';
import { PROMOTION_APP_KEY, PROMOTION_IMAGE_KEY, PROMOTION_STATE_KEY } from './search-attributes.js';
import { StageTable, initialRecords, planStages, type PlannedStage } from './stages.js';

export { LOCAL_ACTIVITIES_PATCH } from './activities.js';

export async function promotion(rawInput: PromotionInput): Promise<PromotionResult> {
  const input = validInput(rawInput);
  const promotionId = workflowInfo().workflowId;
  const { loadPipeline, signalAppLane } = shortSteps();
  const gatesHold = patched(GATES_HOLD_PATCH);
  const status: PromotionStatus = { app: input.app, image: input.image, requestedBy: input.requestedBy, state: 'starting', stages: [], approvals: [], rejections: [], refused: [] };
  const showDetails = () => setCurrentDetails(currentDetails(status));
  const setState = (state: PromotionState) => {
    status.state = state;
    upsertSearchAttributes([{ key: PROMOTION_STATE_KEY, value: state }]);
    showDetails();
  };
  upsertSearchAttributes([
    { key: PROMOTION_APP_KEY, value: input.app },
    { key: PROMOTION_IMAGE_KEY, value: input.image },
  ]);

  // Handlers: the status query, people's decisions, the lane's answers.
  setHandler(statusQuery, () => status);
  const gate = new ApprovalGate(status, promotionId, input.requestedBy, gatesHold, showDetails);
  gate.listen();
  const lane = new LaneAccess(input.app, promotionId, signalAppLane);
  lane.listen();

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
  const stages = new StageTable(status, showDetails);
  const environment = (name: string): EnvironmentConfig => pipeline.environments.find((e) => e.name === name)!;
  if (pipeline.policy) status.policy = pipeline.policy;
  gate.plan(plan.filter((s) => s.kind === 'approval').map((s) => ({ gate: s.name, environment: s.environment, policy: environment(s.environment).approval! })));
  const unverified = new UnverifiedEnvironments();

  // The three kinds of stage. Each resolves when its stage succeeded and throws when it failed.
  const approval = async (stage: PlannedStage): Promise<GateOutcome> => {
    gate.open(stage.name, environment(stage.environment).approval!);
    setState('awaiting-approval');
    await lane.claim();
    const decision = await gate.decision(() => lane.superseded);
    if (decision !== 'approvals-complete') return decision;
    setState('promoting');
    const outcome = await lane.enterProd();
    gate.close(outcome);
    return outcome;
  };
  const promote = async (stage: PlannedStage) => {
    const env = environment(stage.environment);
    const ref = { repository: pipeline.repository, branch: pipeline.branch, environment: env, promotionId, stage: stage.name, image: input.image };
    const commit = await commitImage.executeWithOptions({ summary: `commit ${input.image} to ${env.name}` }, [
      { ...ref, app: input.app, trailers: trailers(input, env.approval ? gate.approvalsFor(env.name) : []) },
    ]);
    Object.assign(stages.record(stage.name), { commit: commit.commit, previousImage: commit.previousImage });
    if (!commit.noChange) unverified.add(stage, env);
    const synced = await syncEnvironment.executeWithOptions({ summary: `wait until ${env.argocd.application} is synced and healthy` }, [{ ...ref, revision: commit.commit }]);
    stages.record(stage.name).argocdRevision = synced.revision;
    await runEnvironmentChecks(stages.record(stage.name), env, 'healthy');
  };
  const verify = async (stage: PlannedStage) => {
    setState('verifying');
    const promoted = stages.record(plan.find((s) => s.kind === 'promote' && s.environment === stage.environment)!.name);
    // Watch what Argo CD deployed: on an auto-sync app that can be a later commit carrying ours.
    const env = environment(stage.environment);
    const soak = () =>
      verifyHealth.executeWithOptions({ summary: `watch ${env.argocd.application} stay healthy for ${env.soakSeconds}s` }, [
        { environment: env, revision: promoted.argocdRevision ?? promoted.commit!, soakSeconds: env.soakSeconds },
      ]);
    await soakWithChecks(soak, stages.record(stage.name), env);
    setState('promoting');
  };
  const finish = async (state: PromotionResult['state']): Promise<PromotionResult> => {
    status.currentStage = undefined;
    setState(state);
    await condition(allHandlersFinished);
    return { state, status };
  };

  let currentStage: PlannedStage | undefined;
  try {
    setState('promoting');
    for (const stage of plan) {
      currentStage = stage;
      stages.begin(stage);
      if (stage.kind === 'approval') {
        const outcome = await approval(stage);
        if (outcome !== 'approved') {
          gate.close(outcome);
          stages.end(stage, 'failed', outcome === 'superseded' ? `superseded by ${lane.supersededBy ?? 'a newer promotion'}` : outcome);
          for (const later of plan.slice(plan.indexOf(stage) + 1)) stages.end(later, 'skipped');
          return await finish(outcome);
        }
      } else if (stage.kind === 'promote') await promote(stage);
      else await verify(stage);
      stages.end(stage, 'succeeded');
      if (lastStageOf(plan, stage.environment) === stage) unverified.verified(stage.environment);
    }
    return await finish('promoted');
  } catch (err) {
    const cancelled = isCancellation(err);
    const stage = currentStage!;
    const reason = cancelled ? 'promotion cancelled' : failureMessage(err);
    if (status.stages.length > 0 && stages.record(stage.name)) stages.end(stage, 'failed', reason);
    status.failure = `${stage?.name ?? 'start'}: ${reason}`;
    if (!stage || unverified.empty) {
      setState('failed');
      throw cancelled ? err : promotionFailure(`${stage?.name ?? 'start'} failed: ${reason}; nothing to roll back`, err, status);
    }
    // Rollback runs even when the promotion was cancelled after it changed an environment.
    const targets = unverified.targets(pipeline.rollback, stage.environment);
    const context = { pipeline, promotionId, image: input.image, stages, starting: () => setState('rolling-back') };
    const healthy = await CancellationScope.nonCancellable(() => rollBack(targets, context));
    setState(healthy ? 'rolled-back' : 'rollback-failed');
    throw rollbackOutcome(stage, reason, healthy, status);
  } finally {
    if (plan.some((s) => s.kind === 'approval') && lane.joined) await CancellationScope.nonCancellable(() => lane.release());
  }
}

function validInput(rawInput: PromotionInput): PromotionInput {
  try {
    return validatePromotionInput(rawInput);
  } catch (err) {
    if (err instanceof InvalidInputError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidInput');
    throw err;
  }
}

/** The stage after which an environment is known good: its promote, or its soak. */
function lastStageOf(plan: PlannedStage[], environment: string): PlannedStage | undefined {
  return [...plan].reverse().find((s) => s.environment === environment);
}

/** The commit's trailers; a gated environment's commit also names who approved it at that gate, and how surely. */
function trailers(input: PromotionInput, approvals: Approval[]): Array<[string, string]> {
  const list: Array<[string, string]> = [[TRAILER_IMAGE, input.image], [TRAILER_REQUESTED_BY, input.requestedBy]];
  for (const [key, value] of Object.entries(input.metadata ?? {})) list.push([`${TRAILER_METADATA_PREFIX}${key}`, value]);
  for (const a of approvals) {
    const notes = [a.identity, a.comment].filter(Boolean).join('; ');
    list.push([TRAILER_APPROVED_BY, notes ? `${a.approver} (${notes})` : a.approver]);
  }
  return list;
}

function rollbackOutcome(stage: PlannedStage, reason: string, healthy: boolean, status: PromotionStatus): ApplicationFailure {
  const reverted = status.stages.filter((s) => s.status === 'rolled-back').map((s) => `${s.environment} (${s.rollback?.commit.slice(0, 12)})`);
  const summary = healthy
    ? `${stage.name} failed: ${reason}; rolled back ${reverted.join(', ') || 'nothing'}`
    : `${stage.name} failed: ${reason}; ROLLBACK FAILED, needs a human: ${status.stages.filter((s) => s.rollback?.failure).map((s) => `${s.environment}: ${s.rollback!.failure}`).join('; ')}`;
  return ApplicationFailure.create({ type: healthy ? 'PromotionRolledBack' : 'RollbackFailed', message: summary, nonRetryable: true, details: [status] });
}

function promotionFailure(message: string, err: unknown, status: PromotionStatus): ApplicationFailure {
  return ApplicationFailure.create({ type: 'PromotionFailed', message, nonRetryable: true, details: [status], cause: err instanceof Error ? err : undefined });
}
