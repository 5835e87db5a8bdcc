import { createHash, randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { HealthStatus, Manifest } from './types.js';
import { rfc3339 } from './time.js';

/** How a pod fails: its image cannot be pulled, its container crash-loops, or an init container crash-loops. */
export type PodFailure = 'ImagePullBackOff' | 'CrashLoopBackOff' | 'Init:CrashLoopBackOff';

export interface PodContainer {
  name: string;
  image: string;
}

export interface Pod {
  name: string;
  namespace: string;
  deployment: string;
  templateHash: string;
  images: string[];
  /** Containers and init containers of the pod template (absent in state saved by older simulators). */
  containers?: PodContainer[];
  initContainers?: PodContainer[];
  ready: boolean;
  phase: 'Pending' | 'Running';
  reason?: PodFailure;
  /** Restarts of the failing container, counted with the kubelet's doubling back-off. */
  restarts: number;
  /** When the failing container restarts next (crash loops only). */
  nextRestartAt?: number;
  /** When the pod started failing (pull failures show ErrImagePull before the first back-off). */
  failingSince?: number;
  createdAt: number;
  readyAt?: number;
  resourceVersion?: number;
}

/** A ReplicaSet of a Deployment: one per pod template the Deployment has had, numbered like Kubernetes' revisions. */
export interface ReplicaSetRecord {
  templateHash: string;
  revision: number;
  createdAt: number;
}

interface DeploymentRollout {
  generation: number;
  observedGeneration: number;
  templateHash: string;
  pods: Pod[];
  /** Absent in state saved by older simulators (then built on first use). */
  replicaSets?: ReplicaSetRecord[];
  lastProgressAt: number;
  deadlineExceeded: boolean;
}

export interface LiveObject {
  manifest: Manifest;
  /** Application that manages it (Argo CD's tracking label). */
  app?: string;
  createdAt: number;
  rollout?: DeploymentRollout;
}

export interface ClusterTiming {
  rolloutStepMs: number;
  progressDeadlineMs: number;
  /** The kubelet's first crash-loop back-off (10 s), doubled per restart up to 30 times it (5 min). */
  crashBackoffMs: number;
}

/** Kubernetes keeps this many old ReplicaSets of a Deployment (revisionHistoryLimit's default). */
const REVISION_HISTORY_LIMIT = 10;

/** Asked per pod on every rollout step: should this pod fail, and how. */
export type PodFaultProbe = (pod: Pod, app: string | undefined) => PodFailure | undefined;

export interface ClusterState {
  namespaces: Record<string, number>;
  objects: Array<[string, LiveObject]>;
}

export function objectKey(m: { apiVersion?: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${groupOf(m.apiVersion ?? '')}/${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

/** Cluster-scoped kinds the simulator knows; everything else lives in a namespace. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

/**
 * A tiny Kubernetes: namespaces, stored objects, and Deployments whose pods roll out one
 * step at a time. A single timer drives every unsettled Deployment, and stops when all
 * are settled.
 */
export class Cluster {
  private readonly namespaces = new Map<string, number>();
  private readonly objects = new Map<string, LiveObject>();
  private readonly active = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private listeners: Array<(apps: Set<string | undefined>) => void> = [];
  /** Bumped whenever a pod changes, like etcd's resourceVersion. */
  private resourceVersion = 0;

  constructor(
    readonly timing: ClusterTiming,
    private readonly podFault: PodFaultProbe = () => undefined,
  ) {}

  /** Calls `listener` with the applications whose live objects changed; returns the unsubscribe. */
  onChange(listener: (apps: Set<string | undefined>) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  hasNamespace(name: string): boolean {
    return this.namespaces.has(name);
  }

  createNamespace(name: string): void {
    if (this.namespaces.has(name)) return;
    this.namespaces.set(name, Date.now());
    this.emit(new Set([undefined]));
  }

  deleteNamespace(name: string): void {
    if (!this.namespaces.delete(name)) return;
    const apps = new Set<string | undefined>();
    for (const [key, obj] of this.objects) {
      if (obj.manifest.metadata.namespace === name) {
        this.objects.delete(key);
        this.active.delete(key);
        apps.add(obj.app);
      }
    }
    this.emit(apps);
  }

  get(key: string): LiveObject | undefined {
    return this.objects.get(key);
  }

  /** Objects managed by one application. */
  managedBy(app: string): Array<[string, LiveObject]> {
    return [...this.objects].filter(([, o]) => o.app === app);
  }

  /** Server-side apply of a whole object; returns `created`, `configured` or `unchanged`. */
  apply(manifest: Manifest, app: string | undefined): 'created' | 'configured' | 'unchanged' {
    const key = objectKey(manifest);
    const existing = this.objects.get(key);
    const copy = structuredClone(manifest);
    if (copy.kind === 'Namespace') this.namespaces.set(copy.metadata.name, this.namespaces.get(copy.metadata.name) ?? Date.now());
    if (existing && isDeepStrictEqual(existing.manifest, copy) && existing.app === app) return 'unchanged';
    const obj: LiveObject = existing ?? { manifest: copy, app, createdAt: Date.now() };
    const before = existing?.manifest;
    obj.manifest = copy;
    obj.app = app;
    if (copy.kind === 'Deployment') this.updateRollout(key, obj, before);
    this.objects.set(key, obj);
    this.emit(new Set([app]));
    return existing ? 'configured' : 'created';
  }

  delete(key: string): boolean {
    const obj = this.objects.get(key);
    if (!obj) return false;
    this.objects.delete(key);
    this.active.delete(key);
    if (obj.manifest.kind === 'Namespace') this.deleteNamespace(obj.manifest.metadata.name);
    this.emit(new Set([obj.app]));
    return true;
  }

  /** Changes a live object behind Argo CD's back (drift). */
  mutate(key: string, change: (m: Manifest) => void): boolean {
    const obj = this.objects.get(key);
    if (!obj) return false;
    const next = structuredClone(obj.manifest);
    change(next);
    this.apply(next, obj.app);
    return true;
  }

  /** Re-examine every Deployment, e.g. after faults changed. */
  wake(): void {
    for (const [key, obj] of this.objects) if (obj.rollout) this.active.add(key);
    this.schedule();
  }

  health(key: string): HealthStatus | undefined {
    const obj = this.objects.get(key);
    if (!obj) return undefined;
    if (obj.manifest.kind !== 'Deployment' || !obj.rollout) return { status: 'Healthy' };
    const m = obj.manifest;
    return deploymentHealth({ ...m, metadata: { ...m.metadata, generation: obj.rollout.generation } }, this.deploymentStatus(obj));
  }

  /** Live object as `kubectl get -o json` would show it (Deployment status included). */
  view(key: string): Record<string, unknown> | undefined {
    const obj = this.objects.get(key);
    if (!obj) return undefined;
    const out: Record<string, unknown> = structuredClone(obj.manifest);
    if (obj.rollout) {
      (out.metadata as Record<string, unknown>).generation = obj.rollout.generation;
      out.status = this.deploymentStatus(obj);
    }
    return out;
  }

  snapshot() {
    const deployments: unknown[] = [];
    const pods: unknown[] = [];
    const objects: unknown[] = [];
    for (const [key, obj] of this.objects) {
      const m = obj.manifest;
      objects.push({ kind: m.kind, apiVersion: m.apiVersion, namespace: m.metadata.namespace, name: m.metadata.name, app: obj.app });
      if (!obj.rollout) continue;
      const status = this.deploymentStatus(obj);
      deployments.push({
        namespace: m.metadata.namespace,
        name: m.metadata.name,
        app: obj.app,
        replicas: desiredReplicas(m),
        images: templateImages(m),
        paused: Boolean(specOf(m).paused),
        generation: obj.rollout.generation,
        status,
        health: this.health(key),
      });
      for (const p of obj.rollout.pods) {
        pods.push({
          namespace: p.namespace,
          name: p.name,
          deployment: p.deployment,
          images: p.images,
          image: p.images[0],
          ready: p.ready,
          phase: p.phase,
          reason: p.reason,
          restarts: p.restarts,
          createdAt: rfc3339(p.createdAt),
        });
      }
    }
    return {
      namespaces: [...this.namespaces.keys()].sort(),
      deployments,
      pods,
      objects,
    };
  }

  exportState(): ClusterState {
    return { namespaces: Object.fromEntries(this.namespaces), objects: [...this.objects] };
  }

  importState(state: ClusterState): void {
    for (const [name, at] of Object.entries(state.namespaces)) this.namespaces.set(name, at);
    for (const [key, obj] of state.objects) this.objects.set(key, obj);
    this.wake();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners = [];
  }

  private emit(apps: Set<string | undefined>): void {
    for (const l of this.listeners) l(apps);
  }

  private updateRollout(key: string, obj: LiveObject, before: Manifest | undefined): void {
    const hash = templateHash(obj.manifest);
    const r = obj.rollout;
    if (!r) {
      obj.rollout = { generation: 1, observedGeneration: 0, templateHash: hash, pods: [], lastProgressAt: Date.now(), deadlineExceeded: false };
      recordReplicaSet(obj.rollout, hash);
    } else if (!before || !isDeepStrictEqual(specOf(before), specOf(obj.manifest))) {
      r.generation += 1;
      if (r.templateHash !== hash) {
        r.templateHash = hash;
        r.lastProgressAt = Date.now();
        r.deadlineExceeded = false;
        recordReplicaSet(r, hash);
      }
    }
    this.active.add(key);
    this.schedule();
  }

  /** The Deployment's ReplicaSets, newest revision last. */
  replicaSets(key: string): ReplicaSetRecord[] {
    const r = this.objects.get(key)?.rollout;
    if (!r) return [];
    if (!r.replicaSets) recordReplicaSet(r, r.templateHash);
    return [...r.replicaSets!].sort((a, b) => a.revision - b.revision);
  }

  private schedule(): void {
    if (this.timer || this.active.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.step();
      this.schedule();
    }, this.timing.rolloutStepMs);
    this.timer.unref?.();
  }

  private step(): void {
    const now = Date.now();
    const changed = new Set<string | undefined>();
    for (const key of [...this.active]) {
      const obj = this.objects.get(key);
      if (!obj?.rollout) {
        this.active.delete(key);
        continue;
      }
      const before = JSON.stringify(this.deploymentStatus(obj)) + podDigest(obj.rollout.pods);
      const settled = this.stepDeployment(obj, obj.rollout, now);
      if (JSON.stringify(this.deploymentStatus(obj)) + podDigest(obj.rollout.pods) !== before) changed.add(obj.app);
      if (settled) this.active.delete(key);
    }
    if (changed.size) this.emit(changed);
  }

  /** One rollout step; returns true once nothing can change without an outside event. */
  private stepDeployment(obj: LiveObject, r: DeploymentRollout, now: number): boolean {
    const m = obj.manifest;
    r.observedGeneration = r.generation;
    if (specOf(m).paused) return true;
    const replicas = desiredReplicas(m);
    const images = templateImages(m);
    let current = r.pods.filter((p) => p.templateHash === r.templateHash);
    const old = r.pods.filter((p) => p.templateHash !== r.templateHash);

    for (const p of current) {
      const failure = this.podFault(p, obj.app);
      if (failure && (p.ready || p.reason !== failure)) {
        p.ready = false;
        p.reason = failure;
        p.phase = failure === 'CrashLoopBackOff' ? 'Running' : 'Pending';
        p.failingSince = now;
        // A crash loop's first crash comes at once; later restarts wait out the doubling back-off.
        p.nextRestartAt = failure === 'ImagePullBackOff' ? undefined : now;
        r.lastProgressAt = now;
      } else if (!failure && p.reason) {
        p.reason = undefined;
        p.nextRestartAt = undefined;
        p.failingSince = undefined;
      }
      if (p.reason && p.reason !== 'ImagePullBackOff' && p.nextRestartAt !== undefined && now >= p.nextRestartAt) {
        p.restarts += 1;
        p.nextRestartAt = now + crashBackoff(this.timing.crashBackoffMs, p.restarts);
      }
    }

    if (current.length > replicas) {
      const surplus = [...current].sort((a, b) => Number(a.ready) - Number(b.ready)).slice(0, current.length - replicas);
      r.pods = r.pods.filter((p) => !surplus.includes(p));
      current = current.filter((p) => !surplus.includes(p));
    }

    const waiting = current.find((p) => !p.ready && !p.reason && p.createdAt < now);
    if (waiting) {
      waiting.ready = true;
      waiting.phase = 'Running';
      waiting.readyAt = now;
      r.lastProgressAt = now;
      r.deadlineExceeded = false;
      const victim = old.find((p) => !p.ready) ?? old[0];
      if (victim) r.pods = r.pods.filter((p) => p !== victim);
    }
    if (current.length < replicas) {
      const pod: Pod = {
        name: `${m.metadata.name}-${r.templateHash}-${randomBytes(3).toString('hex').slice(0, 5)}`,
        namespace: m.metadata.namespace ?? 'default',
        deployment: m.metadata.name,
        templateHash: r.templateHash,
        images,
        containers: templateContainers(m, 'containers'),
        initContainers: templateContainers(m, 'initContainers'),
        ready: false,
        phase: 'Pending',
        restarts: 0,
        createdAt: now,
      };
      pod.reason = this.podFault(pod, obj.app);
      if (pod.reason) {
        pod.failingSince = now;
        if (pod.reason !== 'ImagePullBackOff') pod.nextRestartAt = now;
      }
      r.pods.push(pod);
      current.push(pod);
      r.lastProgressAt = now;
    }
    const readyCurrent = current.filter((p) => p.ready).length;
    if (readyCurrent >= replicas && current.length === replicas) {
      r.pods = current;
    }
    const done = r.pods.length === replicas && r.pods.every((p) => p.templateHash === r.templateHash && p.ready);
    for (const p of r.pods) {
      const digest = podDigest([p]);
      if (podVersions.get(p) !== digest) {
        podVersions.set(p, digest);
        p.resourceVersion = ++this.resourceVersion;
      }
    }
    if (done) {
      r.deadlineExceeded = false;
      return true;
    }
    if (now - r.lastProgressAt >= this.timing.progressDeadlineMs) r.deadlineExceeded = true;
    return false;
  }

  private deploymentStatus(obj: LiveObject) {
    const r = obj.rollout!;
    const m = obj.manifest;
    const replicas = desiredReplicas(m);
    const updated = r.pods.filter((p) => p.templateHash === r.templateHash);
    const ready = r.pods.filter((p) => p.ready).length;
    const available = ready;
    const done = r.pods.length === replicas && updated.length === replicas && updated.every((p) => p.ready);
    const rsName = `${m.metadata.name}-${r.templateHash}`;
    const at = rfc3339(r.lastProgressAt);
    const minAvailable = replicas - Math.floor(replicas * 0.25);
    const progressing = r.deadlineExceeded
      ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }
      : done
        ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
    return {
      observedGeneration: r.observedGeneration,
      replicas: r.pods.length,
      updatedReplicas: updated.length,
      readyReplicas: ready,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, r.pods.length - available),
      conditions: [
        available >= minAvailable
          ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: at, lastTransitionTime: at }
          : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: at, lastTransitionTime: at },
        { ...progressing, lastUpdateTime: at, lastTransitionTime: at },
      ],
    };
  }
}

type DeploymentStatus = ReturnType<Cluster['deploymentStatus']>;

/** gitops-engine's Deployment health rules. */
export function deploymentHealth(m: Manifest, status: DeploymentStatus): HealthStatus {
  const name = m.metadata.name;
  if (specOf(m).paused) return { status: 'Suspended', message: 'Deployment is paused' };
  const generation = (m.metadata.generation as number | undefined) ?? status.observedGeneration;
  if (generation > status.observedGeneration || status.observedGeneration === 0) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  }
  const progressing = status.conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` };
  }
  const replicas = desiredReplicas(m);
  if (status.updatedReplicas < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${status.updatedReplicas} out of ${replicas} new replicas have been updated...`,
    };
  }
  if (status.replicas > status.updatedReplicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${status.replicas - status.updatedReplicas} old replicas are pending termination...`,
    };
  }
  if (status.availableReplicas < status.updatedReplicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${status.availableReplicas} of ${status.updatedReplicas} updated replicas are available...`,
    };
  }
  return { status: 'Healthy', message: '' };
}

const HEALTH_ORDER = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function worstHealth(statuses: string[]): string {
  let worst = 'Healthy';
  for (const s of statuses) if (HEALTH_ORDER.indexOf(s) > HEALTH_ORDER.indexOf(worst)) worst = s;
  return worst;
}

function specOf(m: Manifest): { replicas?: number; paused?: boolean; template?: unknown } {
  return (m.spec as { replicas?: number; paused?: boolean; template?: unknown } | undefined) ?? {};
}

export function desiredReplicas(m: Manifest): number {
  const r = specOf(m).replicas;
  return typeof r === 'number' && r >= 0 ? r : 1;
}

export function templateImages(m: Manifest): string[] {
  const template = specOf(m).template as { spec?: { containers?: Array<{ image?: string }> } } | undefined;
  return (template?.spec?.containers ?? []).map((c) => c.image ?? '').filter(Boolean);
}

function templateHash(m: Manifest): string {
  return createHash('sha1')
    .update(JSON.stringify(specOf(m).template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

const podVersions = new WeakMap<Pod, string>();

function podDigest(pods: Pod[]): string {
  return pods.map((p) => `${p.name}:${p.ready}:${p.reason ?? ''}:${p.restarts}:${p.failingSince ?? ''}`).join(',');
}

/** The kubelet's crash-loop back-off after `restarts` restarts: base, doubled each time, at most 30 times base. */
export function crashBackoff(baseMs: number, restarts: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, restarts - 1), baseMs * 30);
}

function recordReplicaSet(r: DeploymentRollout, hash: string): void {
  const sets = (r.replicaSets ??= []);
  const revision = Math.max(0, ...sets.map((s) => s.revision)) + 1;
  const existing = sets.find((s) => s.templateHash === hash);
  // Going back to an earlier template reuses its ReplicaSet under a new revision, as Kubernetes does.
  if (existing) existing.revision = revision;
  else sets.push({ templateHash: hash, revision, createdAt: Date.now() });
  const old = sets.filter((s) => s.templateHash !== hash).sort((a, b) => a.revision - b.revision);
  while (old.length > REVISION_HISTORY_LIMIT) sets.splice(sets.indexOf(old.shift()!), 1);
}

export function templateContainers(m: Manifest, field: 'containers' | 'initContainers'): PodContainer[] {
  const template = specOf(m).template as { spec?: Record<string, Array<{ name?: string; image?: string }> | undefined> } | undefined;
  return (template?.spec?.[field] ?? []).map((c, i) => ({ name: c.name ?? `${field === 'containers' ? 'container' : 'init'}-${i}`, image: c.image ?? '' }));
}
