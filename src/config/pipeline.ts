// The pipeline definition (`promenade.yaml` at the root of the GitOps repository) as typed, validated data.
// Parsing and validation live in ./pipeline-file.ts; everything downstream takes these types only.

/** How the image of an environment is written into its manifests. */
export type ImageSetter =
  /** A container in a plain Deployment (or any workload) manifest file. */
  | { kind: 'container'; file: string; container: string }
  /** An `images:` entry of a kustomization.yaml, matched by `name`. */
  | { kind: 'kustomize'; file: string; name: string }
  /** A key in a Helm values file, e.g. `image.tag` (tag only) or `image` (whole reference). */
  | { kind: 'helm'; file: string; key: string; value: 'tag' | 'reference' };

export interface ApprovalPolicy {
  /** Who may approve or reject; empty = anyone. */
  approvers: string[];
  /** Distinct approvals that release the promotion. */
  required: number;
  /** The requester may not approve their own promotion. */
  forbidSelfApproval: boolean;
  /** How long the gate waits before the promotion ends as expired. */
  timeoutSeconds: number;
}

export type RollbackScope = 'failed-environment' | 'all-promoted-environments' | 'none';

/**
 * How overlapping promotions of one app pass the environments. `supersede` ("latest wins", by start time): a newer
 * promotion reaching an environment stops an older one that has not finished it, unless the older one is past that
 * environment's approval gate. `queue` ("every version"): each environment admits one promotion at a time, in start
 * order.
 */
export type Concurrency = 'supersede' | 'queue';
export const CONCURRENCY_MODES: readonly Concurrency[] = ['supersede', 'queue'];

export interface EnvironmentConfig {
  name: string;
  /** Directory of the environment's manifests, relative to the repository root. */
  path: string;
  argocd: { application: string; project: string };
  image: ImageSetter;
  /** Approval gate before this environment, if any (prod by default). */
  approval?: ApprovalPolicy;
  /** How long health is watched after this environment is healthy (0 = no soak). */
  soakSeconds: number;
}

export interface AppPipeline {
  app: string;
  /** Git URL of the GitOps repository, never with credentials in it. */
  repository: string;
  branch: string;
  environments: EnvironmentConfig[];
  rollback: RollbackScope;
  /** Absent in pipelines loaded before the setting existed: read as `supersede`. */
  concurrency?: Concurrency;
}

/** A parsed promenade.yaml: every app's pipeline, resolved and validated as a whole. */
export interface PipelineFile {
  /** Git URL of the GitOps repository the file was read from. */
  repository: string;
  apps: Record<string, AppPipeline>;
}
