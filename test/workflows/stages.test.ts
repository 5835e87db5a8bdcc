import { describe, expect, it } from 'vitest';
import type { AppPipeline, EnvironmentConfig } from '../../src/config/pipeline.js';
import { planStages } from '../../src/workflows/stages.js';

const env = (name: string, extra: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({
  name,
  path: `${name}/myapp`,
  argocd: { application: `myapp-${name}`, project: 'default' },
  image: { kind: 'container', file: 'deployment.yaml', container: 'myapp' },
  soakSeconds: 0,
  ...extra,
});
const approval = { approvers: [], required: 1, forbidSelfApproval: true, timeoutSeconds: 3600 };
const pipeline = (environments: EnvironmentConfig[]): AppPipeline => ({ app: 'myapp', repository: 'file:///r', branch: 'main', environments, rollback: 'failed-environment' });

describe('planStages', () => {
  it('names the default pipeline with the product vocabulary', () => {
    const stages = planStages(pipeline([env('dev'), env('staging'), env('prod', { approval, soakSeconds: 60 })]));
    expect(stages.map((s) => `${s.name}/${s.kind}/${s.environment}`)).toEqual([
      'dev-sync/promote/dev',
      'staging-promote/promote/staging',
      'approval/approval/prod',
      'prod-promote/promote/prod',
      'verify-health/verify/prod',
    ]);
  });

  it('names gates and soaks after their environment when there are several', () => {
    const stages = planStages(pipeline([env('qa', { soakSeconds: 10 }), env('uat', { approval }), env('prod', { approval })]));
    expect(stages.map((s) => s.name)).toEqual(['qa-sync', 'qa-verify-health', 'uat-approval', 'uat-promote', 'prod-approval', 'prod-promote']);
  });
});
