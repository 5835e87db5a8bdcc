// Pure naming and bookkeeping of a promotion's stages, kept apart so it can be unit-tested without a server.
import type { AppPipeline } from '../config/pipeline.js';
import type { StageRecord } from './promotion-status.js';

export interface PlannedStage {
  name: string;
  kind: 'promote' | 'approval' | 'verify';
  environment: string;
}

/**
 * The first environment syncs (`dev-sync`), later ones promote (`staging-promote`); an approval gate comes
 * before the environment that asks for one; a soak after the last environment is `verify-health`.
 */
export function planStages(pipeline: AppPipeline): PlannedStage[] {
  const stages: PlannedStage[] = [];
  const gates = pipeline.environments.filter((env) => env.approval).length;
  pipeline.environments.forEach((env, index) => {
    const last = index === pipeline.environments.length - 1;
    if (env.approval) stages.push({ name: gates > 1 ? `${env.name}-approval` : 'approval', kind: 'approval', environment: env.name });
    stages.push({ name: index === 0 ? `${env.name}-sync` : `${env.name}-promote`, kind: 'promote', environment: env.name });
    if (env.soakSeconds > 0) stages.push({ name: last ? 'verify-health' : `${env.name}-verify-health`, kind: 'verify', environment: env.name });
  });
  return stages;
}

export function initialRecords(stages: PlannedStage[]): StageRecord[] {
  return stages.map((stage) => ({ stage: stage.name, environment: stage.environment, status: 'pending' }));
}

/** The promotion's stage records, kept in its status: which stage runs, how each ended. */
export class StageTable {
  constructor(
    private readonly status: { currentStage?: string; stages: StageRecord[] },
    /** Called after every change, so what the UI shows keeps up. */
    private readonly changed: () => void = () => {},
  ) {}

  record(name: string): StageRecord {
    return this.status.stages.find((s) => s.stage === name)!;
  }

  begin(stage: PlannedStage): void {
    this.status.currentStage = stage.name;
    Object.assign(this.record(stage.name), { status: 'running', startedAt: new Date().toISOString() });
    this.changed();
  }

  end(stage: PlannedStage, outcome: StageRecord['status'], failure?: string): void {
    Object.assign(this.record(stage.name), { status: outcome, finishedAt: new Date().toISOString() }, failure ? { failure } : {});
    this.changed();
  }
}
