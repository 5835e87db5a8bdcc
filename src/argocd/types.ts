// The parts of Argo CD's v1alpha1 Application that promenade reads, named as the API names them
// (Go json tags, omitempty: every field may be absent). The one Application type of everything outside the
// simulator (client, bootstrap, stack, tests); src/argocd-sim keeps its own, see its types.ts.

export interface Info {
  name: string;
  value: string;
}

export interface OperationInitiator {
  username?: string;
  automated?: boolean;
}

export interface SyncOperation {
  revision?: string;
  revisions?: string[];
  prune?: boolean;
  dryRun?: boolean;
  syncStrategy?: unknown;
  resources?: unknown[];
}

export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: OperationInitiator;
  info?: Info[];
  retry?: unknown;
}

export interface ResourceResult {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  message?: string;
  hookPhase?: string;
  syncPhase?: string;
}

export interface SyncOperationResult {
  revision?: string;
  revisions?: string[];
  resources?: ResourceResult[];
  source?: unknown;
}

export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';

export interface OperationState {
  operation?: Operation;
  phase?: OperationPhase | string;
  message?: string;
  syncResult?: SyncOperationResult;
  startedAt?: string;
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
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: string;
  health?: HealthStatus;
}

export interface ApplicationCondition {
  type?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface RevisionHistory {
  id?: number;
  revision?: string;
  deployedAt?: string;
  deployStartedAt?: string;
  initiatedBy?: OperationInitiator;
}

export interface ApplicationStatus {
  sync?: { status?: string; revision?: string; revisions?: string[]; comparedTo?: unknown };
  health?: HealthStatus;
  operationState?: OperationState;
  reconciledAt?: string;
  observedAt?: string;
  history?: RevisionHistory[];
  resources?: ResourceStatus[];
  conditions?: ApplicationCondition[];
  summary?: unknown;
}

export interface ApplicationSource {
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  [key: string]: unknown;
}

export interface ApplicationSpec {
  project?: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination?: { server?: string; name?: string; namespace?: string };
  syncPolicy?: {
    automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
    syncOptions?: string[];
    retry?: unknown;
  };
  [key: string]: unknown;
}

export interface Application {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Operation;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ApplicationWatchEvent {
  type: WatchEventType;
  application: Application;
}

/** Auto-sync is on when `automated` is present, unless Argo CD 3's `enabled: false` switches it off. */
export function isAutoSync(app: Application): boolean {
  const automated = app.spec?.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}
