// Application JSON shaped as Argo CD's API returns it (grpc-gateway, Go json tags, omitempty).
import type { Application, Operation, OperationState } from '../../src/argocd/types.js';

export const OLD = '1111111111111111111111111111111111111111';
export const OURS = 'a3f5c9e0b1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6';
export const NEWER = 'ffffeeeeddddccccbbbbaaaa9999888877776666';
export const PROMOTION = 'promo-42';

export function ourOperation(revision = OURS, promotion = PROMOTION): Operation {
  return {
    sync: { revision, prune: false, syncStrategy: { hook: {} } },
    initiatedBy: { username: 'promenade' },
    info: [
      { name: 'promenade.promotion', value: promotion },
      { name: 'promenade.stage', value: 'staging-promote' },
    ],
    retry: {},
  };
}

export function autoOperation(revision = OURS): Operation {
  return { sync: { revision, prune: true, syncStrategy: { hook: {} } }, initiatedBy: { automated: true }, retry: { limit: 5 } };
}

export function userOperation(revision = OURS, username = 'admin'): Operation {
  return { sync: { revision, syncStrategy: { hook: {} } }, initiatedBy: { username }, retry: {} };
}

export function opState(operation: Operation, phase: string, extra: Partial<OperationState> = {}): OperationState {
  const revision = operation.sync?.revision;
  const final = phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
  return {
    operation,
    phase,
    message: phase === 'Succeeded' ? 'successfully synced (all tasks run)' : phase === 'Running' ? 'one or more tasks are running' : 'one or more objects failed to apply',
    syncResult: {
      revision,
      source: { repoURL: 'https://git.example.com/gitops.git', path: 'staging/myapp', targetRevision: 'main' },
      resources: [
        {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'staging',
          name: 'myapp',
          status: phase === 'Failed' ? 'SyncFailed' : 'Synced',
          message: phase === 'Failed' ? 'Deployment.apps "myapp" is invalid: spec.template.spec.containers[0].image: Required value' : 'deployment.apps/myapp configured',
          syncPhase: 'Sync',
        },
      ],
    },
    startedAt: '2026-11-26T02:00:00Z',
    ...(final ? { finishedAt: '2026-11-26T02:00:04Z' } : {}),
    retryCount: 0,
    ...extra,
  };
}

export interface AppShape {
  name?: string;
  resourceVersion?: string;
  automated?: boolean;
  operation?: Operation;
  operationState?: OperationState;
  sync?: string;
  syncRevision?: string;
  health?: string;
  healthMessage?: string;
  reconciledAt?: string;
  conditions?: Array<{ type: string; message: string }>;
  resourceHealth?: { status: string; message?: string };
}

export function app(shape: AppShape = {}): Application {
  const name = shape.name ?? 'myapp-staging';
  const status: Record<string, unknown> = {
    sync: {
      status: shape.sync ?? 'Synced',
      revision: shape.syncRevision ?? OLD,
      comparedTo: {
        source: { repoURL: 'https://git.example.com/gitops.git', path: 'staging/myapp', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'staging' },
      },
    },
    health: { status: shape.health ?? 'Healthy', ...(shape.healthMessage ? { message: shape.healthMessage } : {}) },
    resources: [
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'staging',
        name: 'myapp',
        status: shape.sync ?? 'Synced',
        health: shape.resourceHealth ?? { status: shape.health ?? 'Healthy' },
      },
    ],
    history: [
      { id: 0, revision: OLD, deployedAt: '2026-11-25T10:00:05Z', deployStartedAt: '2026-11-25T10:00:01Z', source: {}, initiatedBy: { username: 'admin' } },
    ],
    summary: { images: ['nginx:1.19'] },
  };
  if (shape.operationState) status.operationState = shape.operationState;
  if (shape.reconciledAt !== '') status.reconciledAt = shape.reconciledAt ?? '2026-11-26T02:00:05Z';
  if (shape.conditions) status.conditions = shape.conditions.map((c) => ({ ...c, lastTransitionTime: '2026-11-26T02:00:03Z' }));
  const out: Application = {
    metadata: { name, namespace: 'argocd', resourceVersion: shape.resourceVersion ?? '81234', generation: 9, annotations: {} },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.com/gitops.git', path: 'staging/myapp', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'staging' },
      syncPolicy: shape.automated
        ? { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] }
        : { syncOptions: ['CreateNamespace=true'] },
    },
    status: status as Application['status'],
  };
  if (shape.operation) out.operation = shape.operation;
  return out;
}
