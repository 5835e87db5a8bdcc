// Rollback: git revert of this promotion's own commits in the environments not yet known good, then a sync of
// each revert. Which environments depends on the pipeline's rollback scope.
import { log } from '@temporalio/workflow';
import type { AppPipeline, EnvironmentConfig } from '../config/pipeline.js';
import { failureMessage } from '../failures.js';
import { revertStage, syncEnvironment } from './activities.js';
import type { PlannedStage, StageTable } from './stages.js';

/** Environments this promotion committed to and that are not known good yet, in commit order. */
export class UnverifiedEnvironments {
  private readonly list: Array<{ stage: PlannedStage; env: EnvironmentConfig }> = [];

  add(stage: PlannedStage, env: EnvironmentConfig): void {
    this.list.push({ stage, env });
  }

  /** An environment is known good once its last stage (promote, or its soak) passed. */
  verified(environment: string): void {
    this.list.splice(0, this.list.length, ...this.list.filter((u) => u.env.name !== environment));
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** What the scope reverts, newest first when it reverts more than one environment. */
  targets(scope: AppPipeline['rollback'], failedEnvironment: string): Array<{ stage: PlannedStage; env: EnvironmentConfig }> {
    if (scope === 'none') return [];
    if (scope === 'failed-environment') return this.list.filter((u) => u.env.name === failedEnvironment);
    return [...this.list].reverse();
  }
}

export interface RollbackContext {
  pipeline: AppPipeline;
  promotionId: string;
  image: string;
  stages: StageTable;
  /** Called once before the first revert, so the promotion's state says it is rolling back. */
  starting: () => void;
}

/** Reverts and re-syncs each target; true when every one ended healthy. Failures are recorded, not thrown. */
export async function rollBack(targets: Array<{ stage: PlannedStage; env: EnvironmentConfig }>, context: RollbackContext): Promise<boolean> {
  const { pipeline, promotionId, image, stages } = context;
  if (targets.length === 0) return true;
  context.starting();
  let healthy = true;
  for (const { stage, env } of targets) {
    const stageRecord = stages.record(stage.name);
    try {
      const revert = await revertStage.executeWithOptions({ summary: `revert ${stage.name}'s commit in ${env.name}` }, [{
        repository: pipeline.repository,
        branch: pipeline.branch,
        environment: env,
        promotionId,
        stage: stage.name,
        commit: stageRecord.commit!,
        image,
        previousImage: stageRecord.previousImage,
      }]);
      stageRecord.rollback = { commit: revert.commit, method: revert.method, healthy: false };
      await syncEnvironment.executeWithOptions({ summary: `wait until ${env.argocd.application} is synced and healthy on the reverted commit` }, [{
        repository: pipeline.repository,
        branch: pipeline.branch,
        environment: env,
        image: stageRecord.previousImage ?? '',
        revision: revert.commit,
        promotionId,
        stage: `${stage.name}-rollback`,
      }]);
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
}
