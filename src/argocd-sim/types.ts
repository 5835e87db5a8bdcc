// Application objects are kept in the exact JSON shape Argo CD serves, so handlers can
// hand them out without translation. Only the fields the simulator reads are typed.
// A type of its own on purpose, not src/argocd/types.ts: the client must never import the simulator, nor the
// simulator the client, so each stays an independent reading of Argo CD's API.

export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  kustomize?: { images?: string[] };
  [key: string]: unknown;
}

export interface ApplicationDestination {
  server?: string;
  name?: string;
  namespace?: string;
}

export interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
  refresh?: boolean;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
  syncOptions?: string[];
  retry?: RetryStrategy;
  [key: string]: unknown;
}

export interface ApplicationSpec {
  project: string;
  source?: ApplicationSource;
  destination: ApplicationDestination;
  syncPolicy?: SyncPolicy;
  revisionHistoryLimit?: number;
  [key: string]: unknown;
}

export interface OperationInitiator {
  username?: string;
  automated?: boolean;
}

export interface SyncOperation {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  syncStrategy?: Record<string, unknown>;
  resources?: Array<{ group?: string; kind: string; name: string; namespace?: string }>;
  syncOptions?: string[];
  source?: ApplicationSource;
  [key: string]: unknown;
}

export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: OperationInitiator;
  info?: Array<{ name: string; value: string }>;
  retry?: RetryStrategy;
}

export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
  message: string;
  syncPhase: string;
  images?: string[];
}

export interface OperationState {
  operation: Operation;
  phase: 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
  message?: string;
  syncResult?: { revision: string; source: ApplicationSource; resources?: ResourceResult[] };
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}

export interface HealthStatus {
  status?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ResourceStatus {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: string;
  health?: HealthStatus;
  requiresPruning?: boolean;
}

export interface RevisionHistory {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: ApplicationSource;
  initiatedBy: OperationInitiator;
}

export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

export interface ApplicationStatus {
  sync?: { status?: string; revision?: string; comparedTo?: { source: ApplicationSource; destination: ApplicationDestination } };
  health?: HealthStatus;
  operationState?: OperationState;
  reconciledAt?: string;
  observedAt?: string;
  history?: RevisionHistory[];
  resources?: ResourceStatus[];
  conditions?: ApplicationCondition[];
  summary?: { images?: string[] };
  sourceType?: string;
  controllerNamespace?: string;
}

export interface ApplicationMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface Application {
  metadata: ApplicationMetadata;
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Operation;
}

/** A Kubernetes object as rendered from git or held live in the simulated cluster. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}
