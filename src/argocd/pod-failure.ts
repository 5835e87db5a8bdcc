// Whether the pods of the revision just deployed are failing, decided from Argo CD's resource tree alone: a pure
// function from the tree (and what was seen before) to a verdict, in the manner of gitops-engine's health checks.
//
// The new revision's pods are those of the newest ReplicaSet (highest `Revision` info) of each Deployment that
// runs the promoted image; pods of older ReplicaSets and of Deployments that do not run the image never count.
// A pod is failing when its `Status Reason` is one of kubelet's failure reasons (gitops-engine's rule: starts with
// "Err", ends with "Error" or "BackOff"; also OOMKilled and exit codes), with or without the `Init:` prefix,
// because Argo CD reports a crash-looping init container only as Progressing; when Argo CD says Degraded; or when
// it has restarted and is not ready (a crash loop caught between back-offs). Pending, ContainerCreating and
// unready pods that never restarted are a slow rollout, not a failure. A pod must stay failing for the whole
// grace before the verdict is `failed`; a pod that becomes ready again starts over.
import { infoValue, type ApplicationTree, type ResourceNode } from './resource-tree.js';

export interface PodProblem {
  pod: string;
  reason: string;
  restarts: number;
  /** From Argo CD's health message (`... container=<name> ...`) when it names one. */
  container?: string;
  /** Argo CD's health message, when it has one. */
  message?: string;
  /** When this pod was first seen failing (ms since the epoch). */
  since: number;
}

export type PodVerdict =
  /** No pod of the new revision in the tree yet (not synced, or the ReplicaSet has no pods yet). */
  | { kind: 'no-new-pods' }
  | { kind: 'running'; pods: number }
  | { kind: 'failing'; problems: PodProblem[]; failAt: number }
  | { kind: 'failed'; problems: PodProblem[]; message: string };

export interface PodDecisionInput {
  /** The image the stage deploys; without it the newest ReplicaSet of every Deployment counts. */
  image?: string;
  graceMs: number;
  now: number;
  /** Pod uid (or name) -> when it was first seen failing, as returned by the previous decision. */
  failingSince: Readonly<Record<string, number>>;
}

export interface PodDecision {
  verdict: PodVerdict;
  failingSince: Record<string, number>;
}

const INIT = /^Init:/;

export function failureReason(node: ResourceNode): string | undefined {
  const reason = infoValue(node, 'Status Reason') ?? '';
  const bare = reason.replace(INIT, '');
  const kubeletFailure =
    bare.startsWith('Err') || bare.endsWith('Error') || bare.endsWith('BackOff') || bare === 'OOMKilled' || /^(ExitCode|Signal):/.test(bare);
  if (kubeletFailure) return reason;
  if (node.health?.status === 'Degraded') return reason || 'Degraded';
  const restarts = Number(infoValue(node, 'Restart Count') ?? 0);
  const [ready, total] = (infoValue(node, 'Containers') ?? '').split('/').map(Number);
  if (restarts > 0 && ready !== undefined && total !== undefined && ready < total) return reason ? `${reason} after restarts` : 'restarting';
  return undefined;
}

/** Pods of the newest ReplicaSet of each Deployment running `image` (any Deployment without an image). */
export function newRevisionPods(tree: ApplicationTree, image?: string): ResourceNode[] {
  const nodes = tree.nodes ?? [];
  const key = (r: { uid?: string; name?: string; namespace?: string }) => r.uid || `${r.namespace}/${r.name}`;
  const podsOf = new Map<string, ResourceNode[]>();
  for (const n of nodes) {
    if (n.kind !== 'Pod') continue;
    const parent = n.parentRefs?.find((p) => p.kind === 'ReplicaSet');
    if (parent) podsOf.set(key(parent), [...(podsOf.get(key(parent)) ?? []), n]);
  }
  const newest = new Map<string, ResourceNode>();
  for (const rs of nodes) {
    if (rs.kind !== 'ReplicaSet') continue;
    const owner = rs.parentRefs?.find((p) => p.kind === 'Deployment');
    if (!owner) continue;
    const current = newest.get(key(owner));
    if (!current || revisionOf(rs) > revisionOf(current)) newest.set(key(owner), rs);
  }
  const out: ResourceNode[] = [];
  for (const rs of newest.values()) {
    const pods = podsOf.get(key(rs)) ?? [];
    if (image && !pods.some((p) => p.images?.some((i) => sameImage(i, image)))) continue;
    out.push(...pods);
  }
  return out;
}

export function decidePods(tree: ApplicationTree, input: PodDecisionInput): PodDecision {
  const pods = newRevisionPods(tree, input.image);
  const failingSince: Record<string, number> = {};
  const problems: PodProblem[] = [];
  for (const pod of pods) {
    const reason = failureReason(pod);
    if (!reason) continue;
    const id = pod.uid || pod.name || '?';
    const since = input.failingSince[id] ?? input.now;
    failingSince[id] = since;
    const message = pod.health?.message || undefined;
    const container = /container=([^\s]+)/.exec(message ?? '')?.[1];
    problems.push({ pod: pod.name ?? id, reason, restarts: Number(infoValue(pod, 'Restart Count') ?? 0), ...(container ? { container } : {}), ...(message ? { message } : {}), since });
  }
  if (pods.length === 0) return { verdict: { kind: 'no-new-pods' }, failingSince };
  if (problems.length === 0) return { verdict: { kind: 'running', pods: pods.length }, failingSince };
  problems.sort((a, b) => a.since - b.since || b.restarts - a.restarts);
  const failAt = problems[0]!.since + input.graceMs;
  if (input.now < failAt) return { verdict: { kind: 'failing', problems, failAt }, failingSince };
  const expired = problems.filter((p) => input.now - p.since >= input.graceMs);
  return { verdict: { kind: 'failed', problems: expired, message: describeProblems(expired) }, failingSince };
}

/** `myapp-7d9f8-x2k4q: CrashLoopBackOff, 4 restarts (container myapp)`, for at most three pods. */
export function describeProblems(problems: PodProblem[]): string {
  const shown = problems.slice(0, 3).map((p) => {
    const detail = p.container ? ` (container ${p.container})` : p.message ? ` (${p.message.slice(0, 200)})` : '';
    return `${p.pod}: ${p.reason}, ${p.restarts} restart${p.restarts === 1 ? '' : 's'}${detail}`;
  });
  const more = problems.length > 3 ? `; and ${problems.length - 3} more pod(s)` : '';
  return shown.join('; ') + more;
}

function revisionOf(rs: ResourceNode): number {
  const rev = Number((infoValue(rs, 'Revision') ?? '').replace(/^Rev:/, ''));
  return Number.isFinite(rev) && rev > 0 ? rev : Date.parse(rs.createdAt ?? '') / 1e13 || 0;
}

/** `nginx:1.25` matches `docker.io/library/nginx:1.25` as the kubelet reports it. */
function sameImage(running: string, promoted: string): boolean {
  return running === promoted || running.endsWith(`/${promoted}`) || promoted.endsWith(`/${running}`);
}
