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

/** An approver entry naming a group of the worker's policy (`group:sre`) rather than a person. */
export const GROUP_PREFIX = 'group:';

export interface ApprovalPolicy {
  /** Who may approve or reject; empty (and no `groups`) = anyone. Groups (`group:sre`) are expanded by the worker's policy floor. */
  approvers: string[];
  /**
   * The groups the approver list named (without `group:`), kept after their members were expanded into `approvers`:
   * a verified identity whose issuer's groups claim names one of them may decide too. Absent when none was named.
   */
  groups?: string[];
  /** Distinct approvals that release the promotion. */
  required: number;
  /** The requester may not approve their own promotion. */
  forbidSelfApproval: boolean;
  /** How long the gate waits before the promotion ends as expired. */
  timeoutSeconds: number;
  /**
   * What a decision must prove about its sender: `asserted` takes the approver's name as typed, `verified` counts
   * only decisions whose identity promenade verified. Absent in runs started before the policy floor existed.
   */
  identity?: IdentityRequirement;
}

export type IdentityRequirement = 'asserted' | 'verified';
export const IDENTITY_REQUIREMENTS: readonly IdentityRequirement[] = ['asserted', 'verified'];

/** Which policy a promotion's gates were checked against when it started, recorded in its history. */
export interface PolicyInForce {
  /** `worker-config`: the operators' floor in PROMENADE_CONFIG; `local`: no file, decisions are only asserted. */
  source: 'worker-config' | 'local';
  /** sha256 of the floor as read (canonical JSON), so two workers' files can be told apart. */
  digest?: string;
  /** `verified`: the worker's identity section requires every promotion to carry a requester token that verifies. */
  requester?: IdentityRequirement;
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
  /**
   * How long the new revision's pods may keep crash-looping or failing to pull before the stage fails (0 = off,
   * wait for Kubernetes' progress deadline). Absent in runs started before it existed: the default applies.
   */
  failFastSeconds?: number;
  /** Checks run once the environment is healthy and again through its soak (absent: none). */
  checks?: CheckConfig[];
}

/** Limits shared by both kinds of check, in Argo Rollouts' terms. */
export interface CheckLimits {
  intervalSeconds: number;
  /** Failed measurements tolerated; one more fails the check. */
  failureLimit: number;
  /** Consecutive measurements that could not be taken (unreachable, query error) tolerated; one more fails the check. */
  errorLimit: number;
}

export interface HttpCheckConfig extends CheckLimits {
  kind: 'http';
  name: string;
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  /** Expected HTTP status. */
  status: number;
  body?: { regex: string } | { jsonPath: string; value: string | number | boolean | null };
  headers: Record<string, string>;
  /** Header name -> the environment variable (on the worker) holding its value; bound to hosts by the worker's configuration. */
  secretHeaders: Record<string, string>;
  /** Consecutive successful measurements that pass the check. */
  successes: number;
  timeoutSeconds: number;
  /** Skip TLS certificate verification. */
  insecure: boolean;
}

export interface PrometheusCheckConfig extends CheckLimits {
  kind: 'prometheus';
  name: string;
  /** A Prometheus server named in the worker's configuration. */
  server: string;
  query: string;
  successCondition?: string;
  failureCondition?: string;
  /** Measurements per run. */
  count: number;
  /** Inconclusive measurements (neither condition met) tolerated. */
  inconclusiveLimit: number;
}

export type CheckConfig = HttpCheckConfig | PrometheusCheckConfig;

export interface AppPipeline {
  app: string;
  /** Git URL of the GitOps repository, never with credentials in it. */
  repository: string;
  branch: string;
  environments: EnvironmentConfig[];
  rollback: RollbackScope;
  /** Set by the worker when it reads the pipeline; absent in runs started before the policy floor existed. */
  policy?: PolicyInForce;
  /** Absent in pipelines loaded before the setting existed: read as `supersede`. */
  concurrency?: Concurrency;
}

/** A parsed promenade.yaml: every app's pipeline, resolved and validated as a whole. */
export interface PipelineFile {
  /** Git URL of the GitOps repository the file was read from. */
  repository: string;
  apps: Record<string, AppPipeline>;
}
