// One durable run per promotion. With the default environments it runs the stages dev-sync, staging-promote,
// approval, prod-promote and verify-health (planStages names them after the pipeline's environments), and rolls
// back (git revert of this promotion's own commits) when a stage fails after committing.
import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, patched, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AppPipeline, EnvironmentConfig } from '../config/pipeline.js';
import { InvalidInputError, validatePromotionInput, type PromotionInput } from '../config/promotion-input.js';
import { TERMINAL, failureMessage } from '../failures.js';
import { TRAILER_ALLOW_OLDER, TRAILER_APPROVED_BY, TRAILER_IMAGE, TRAILER_METADATA_PREFIX, TRAILER_REQUESTED_BY } from '../git/trailers.js';
import { commitImage, guardedWaits, shortSteps, syncEnvironment, verifyHealth } from './activities.js';
import { LANE_V2_PATCH } from './app-lane.js';
import { currentDetails } from './current-details.js';
import { ApprovalGate, GATES_HOLD_PATCH, type GateOutcome } from './approval-gate.js';
import type { LaneRequest } from './contract.js';
import { identitiesInUse, verifyRequester, type Requester } from './decision-identity.js';
import { identityName, identityTrailer, proofText, type VerifiedIdentity } from '../identity/verified-identity.js';
import { runEnvironmentChecks, soakWithChecks } from './environment-checks.js';
import { LaneAccess } from './lane-access.js';
import { LaneSeat, LaneSuperseded, LaneWaitExpired } from './lane-seat.js';
import { laneSignal, statusQuery } from './messages.js';
import type { Approval, PromotionResult, PromotionState, PromotionStatus } from './promotion-status.js';
import { rollBack, UnverifiedEnvironments } from './rollback.js';
import { PROMOTION_APP_KEY, PROMOTION_IMAGE_KEY, PROMOTION_STATE_KEY } from './search-attributes.js';
import { StageTable, initialRecords, planStages, type PlannedStage } from './stages.js';

export { LOCAL_ACTIVITIES_PATCH } from './activities.js';

export async function promotion(rawInput: PromotionInput): Promise<PromotionResult> {
  const input = validInput(rawInput);
  const { workflowId: promotionId, runId } = workflowInfo();
  const { loadPipeline, signalAppLane } = shortSteps();
  const gatesHold = patched(GATES_HOLD_PATCH);
  // lane-v2: every environment is entered through the app's lane, and a lane message is only a nudge to ask it.
  const laneV2 = patched(LANE_V2_PATCH);
  const identities = gatesHold && identitiesInUse();
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
  const requester: Requester = { name: input.requestedBy };
  const gate = new ApprovalGate(status, promotionId, input.requestedBy, gatesHold, showDetails, identities ? { runId, image: input.image, requester } : undefined);
  gate.listen();
  const lane = new LaneAccess(input.app, promotionId, signalAppLane);
  const seat = laneV2 ? new LaneSeat(input.app, promotionId, status, () => signalAppLane({ app: input.app, message: { kind: 'nudge', promotionId } })) : undefined;
  if (seat) setHandler(laneSignal, (message: unknown) => seat.onSignal(message));
  else lane.listen();
  const waits = seat ? guardedWaits : { syncEnvironment, verifyHealth };

  let pipeline: AppPipeline;
  try {
    pipeline = await loadPipeline({ app: input.app, repository: input.repository });
    if (identities) {
      requester.identity = await verifyRequester(pipeline, promotionId, runId, input.requesterIdToken);
      if (requester.identity) status.requester = requester.identity;
    }
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
  const gated = (name: string) => plan.some((s) => s.kind === 'approval' && s.environment === name);
  const laneRequest = (name: string, atGate: boolean): LaneRequest => {
    const index = pipeline.environments.findIndex((e) => e.name === name);
    const last = index === pipeline.environments.length - 1;
    return { environment: name, index, atGate, gated: gated(name), last, concurrency: pipeline.concurrency ?? 'supersede', allowOlder: input.allowOlder === true };
  };

  /** lane-v2's gate: approvals are collected while the lane may still supersede us; then we wait to enter. */
  const laneGate = async (stage: PlannedStage, seat: LaneSeat): Promise<GateOutcome> => {
    const policy = environment(stage.environment).approval!;
    await seat.stand(laneRequest(stage.environment, true));
    const deadline = Date.now() + policy.timeoutSeconds * 1000;
    for (;;) {
      // Interrupted by every nudge from the lane: only the lane's own answer can end the gate as superseded.
      const decision = await gate.decision(() => seat.nudgedSince, Math.max(deadline - Date.now(), 1));
      if (decision === 'approvals-complete') break;
      if (decision !== 'superseded') return decision;
      const answer = await seat.ask();
      if (answer.kind === 'superseded') throw new LaneSuperseded(answer.by, answer.environment);
    }
    setState('promoting');
    // Bounded: a holder that never leaves does not keep an approved promotion waiting for ever.
    await seat.enter(laneRequest(stage.environment, false), policy.timeoutSeconds * 1000);
    return 'approved';
  };

  // The three kinds of stage. Each resolves when its stage succeeded and throws when it failed.
  const approval = async (stage: PlannedStage): Promise<GateOutcome> => {
    gate.open(stage.name, environment(stage.environment).approval!);
    setState('awaiting-approval');
    if (seat) {
      // The gate's record ends with the lane's verdict too: approved once entered, superseded or expired if it threw.
      try {
        const outcome = await laneGate(stage, seat);
        if (outcome === 'approved') gate.close(outcome);
        return outcome;
      } catch (err) {
        if (err instanceof LaneSuperseded) gate.close('superseded');
        else if (err instanceof LaneWaitExpired) gate.close('expired');
        throw err;
      }
    }
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
    // A gated environment was entered at its gate; the others are entered here.
    if (seat && !gated(stage.environment)) await seat.enter(laneRequest(stage.environment, false));
    const ref = { repository: pipeline.repository, branch: pipeline.branch, environment: env, promotionId, stage: stage.name, image: input.image };
    const commit = await commitImage.executeWithOptions({ summary: `commit ${input.image} to ${env.name}` }, [
      { ...ref, app: input.app, trailers: trailers(input, status.requester, env.approval ? gate.approvalsFor(env.name) : []) },
    ]);
    Object.assign(stages.record(stage.name), { commit: commit.commit, previousImage: commit.previousImage });
    if (!commit.noChange) unverified.add(stage, env);
    const sync = () => waits.syncEnvironment.executeWithOptions({ summary: `wait until ${env.argocd.application} is synced and healthy` }, [{ ...ref, revision: commit.commit }]);
    const synced = seat ? await seat.guard(sync) : await sync();
    stages.record(stage.name).argocdRevision = synced.revision;
    await runEnvironmentChecks(stages.record(stage.name), env, 'healthy');
  };
  const verify = async (stage: PlannedStage) => {
    setState('verifying');
    const promoted = stages.record(plan.find((s) => s.kind === 'promote' && s.environment === stage.environment)!.name);
    // Watch what Argo CD deployed: on an auto-sync app that can be a later commit carrying ours.
    const env = environment(stage.environment);
    const watch = () =>
      waits.verifyHealth.executeWithOptions({ summary: `watch ${env.argocd.application} stay healthy for ${env.soakSeconds}s` }, [
        { environment: env, revision: promoted.argocdRevision ?? promoted.commit!, soakSeconds: env.soakSeconds },
      ]);
    const soak = () => (seat ? seat.guard(watch) : watch());
    await soakWithChecks(soak, stages.record(stage.name), env);
    setState('promoting');
  };
  const finish = async (state: PromotionResult['state']): Promise<PromotionResult> => {
    status.currentStage = undefined;
    setState(state);
    await condition(allHandlersFinished);
    return { state, status };
  };

  /** Why this promotion is superseded, if `err` says it is. */
  const supersession = async (err: unknown, stage: PlannedStage): Promise<string | undefined> => {
    if (err instanceof LaneSuperseded) return err.message;
    if (failureType(err) !== TERMINAL.superseded) return undefined;
    // Git says a later commit carries ours but declares another image; the lane, if it knows, names who.
    const answer = seat ? await seat.ask() : undefined;
    if (answer?.kind === 'superseded') return `superseded by ${answer.by} in ${answer.environment}: ${failureMessage(err)}`;
    return `superseded in ${stage.environment} by a later change: ${failureMessage(err)}`;
  };
  /** Superseded, or waited too long to enter: an ending, not a failure. Nothing is rolled back over the newer promotion. */
  const endEarly = async (stage: PlannedStage, state: 'superseded' | 'expired', why: string): Promise<PromotionResult> => {
    status.failure = `${stage.name}: ${why}`;
    stages.end(stage, 'failed', why);
    for (const later of plan.slice(plan.indexOf(stage) + 1)) stages.end(later, 'skipped');
    return finish(state);
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
    const superseded = cancelled || !stage ? undefined : await supersession(err, stage);
    if (superseded) return await endEarly(stage, 'superseded', superseded);
    if (err instanceof LaneWaitExpired && stage) return await endEarly(stage, 'expired', err.message);
    const reason = cancelled ? 'promotion cancelled' : failureMessage(err);
    if (status.stages.length > 0 && stages.record(stage.name)) stages.end(stage, 'failed', reason);
    status.failure = `${stage?.name ?? 'start'}: ${reason}`;
    if (!stage || unverified.empty) {
      setState('failed');
      throw cancelled ? err : promotionFailure(`${stage?.name ?? 'start'} failed: ${reason}; nothing to roll back`, err, status);
    }
    // Rollback runs even when the promotion was cancelled after it changed an environment.
    const targets = unverified.targets(pipeline.rollback, stage.environment);
    // rollback: none is the pipeline's choice to leave its commits for a human: a plain failure that says so, not
    // "rolled back nothing" (exit 6 would tell CI the environments are back where they were).
    if (targets.length === 0 && pipeline.rollback === 'none' && patched(ROLLBACK_NONE_FAILS_PATCH)) {
      setState('failed');
      const left = unverified
        .targets('all-promoted-environments', stage.environment)
        .reverse()
        .map((u) => `${u.env.name} (${stages.record(u.stage.name).commit?.slice(0, 12) ?? 'no commit'})`);
      throw promotionFailure(`${stage.name} failed: ${reason}; not rolled back (rollback: none): ${left.join(', ')} keep ${input.image}`, err, status);
    }
    const context = { pipeline, promotionId, image: input.image, stages, starting: () => setState('rolling-back') };
    const healthy = await CancellationScope.nonCancellable(() => rollBack(targets, context));
    setState(healthy ? 'rolled-back' : 'rollback-failed');
    throw rollbackOutcome(stage, reason, healthy, status);
  } finally {
    if (seat) await CancellationScope.nonCancellable(() => seat.leave());
    else if (plan.some((s) => s.kind === 'approval') && lane.joined) await CancellationScope.nonCancellable(() => lane.release());
  }
}

/** Runs before it ended rollback: none as rolled-back ("rolled back nothing"); later ones end failed, saying what stays. */
export const ROLLBACK_NONE_FAILS_PATCH = 'rollback-none-fails';

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

/**
 * The commit's trailers; a gated environment's commit also names who approved it at that gate, and how surely: a
 * verified person with the proof (`Alice <alice@example.com> (ssh SHA256:...)`), an asserted one as `(asserted)`.
 */
function trailers(input: PromotionInput, requester: VerifiedIdentity | undefined, approvals: Approval[]): Array<[string, string]> {
  const list: Array<[string, string]> = [[TRAILER_IMAGE, input.image], [TRAILER_REQUESTED_BY, requester ? identityTrailer(requester) : input.requestedBy]];
  for (const [key, value] of Object.entries(input.metadata ?? {})) list.push([`${TRAILER_METADATA_PREFIX}${key}`, value]);
  if (input.allowOlder) list.push([TRAILER_ALLOW_OLDER, 'true']);
  for (const a of approvals) {
    const notes = [a.proof ? proofText(a.proof) : a.identity, a.comment].filter(Boolean).join('; ');
    const who = a.proof ? identityName(a.proof) : a.approver;
    list.push([TRAILER_APPROVED_BY, notes ? `${who} (${notes})` : who]);
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

/** The type of an activity's (or our own) ApplicationFailure. */
function failureType(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof ApplicationFailure) return cause.type ?? undefined;
  return err instanceof ApplicationFailure ? (err.type ?? undefined) : undefined;
}

function promotionFailure(message: string, err: unknown, status: PromotionStatus): ApplicationFailure {
  return ApplicationFailure.create({ type: 'PromotionFailed', message, nonRetryable: true, details: [status], cause: err instanceof Error ? err : undefined });
}
