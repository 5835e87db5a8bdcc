// GET /api/v1/applications/{name}/resource-tree and its stream, shaped as Argo CD's v1alpha1ApplicationTree: the
// application's live objects, and beneath each Deployment its ReplicaSets (one per revision, `Revision` info) and
// their Pods (parentRefs to the ReplicaSet, health, images, `info`). The stream sends a tree only when it changed:
// nothing at all while the tree is quiet, and no initial snapshot (read that with the GET).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiCall, type ApiContext, lookup } from './applications.js';
import { type Cluster, type LiveObject, type Pod, desiredReplicas, groupOf, versionOf } from './cluster.js';
import { podHealth, podInfo, type InfoItem } from './pod-health.js';
import { podContainers, podInitContainers, podStatusView } from './pod-status.js';
import { rfc3339 } from './time.js';
import type { HealthStatus } from './types.js';

export const SIMULATED_NODE = 'argocd-sim-node';

export interface ResourceRef {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}

export interface ResourceNode extends ResourceRef {
  parentRefs?: ResourceRef[];
  info?: InfoItem[];
  images?: string[];
  health?: HealthStatus;
  createdAt?: string;
  resourceVersion?: string;
  networkingInfo?: { labels?: Record<string, string> };
}

export interface ApplicationTree {
  nodes?: ResourceNode[];
}

/** Kinds gitops-engine has a health check for; other nodes carry no health. */
const HEALTH_KINDS = new Set(['Deployment', 'ReplicaSet', 'Pod', 'Service', 'StatefulSet', 'DaemonSet', 'Job', 'PersistentVolumeClaim', 'Ingress']);

export function resourceTree(cluster: Cluster, app: string, now = Date.now()): ApplicationTree {
  const nodes: ResourceNode[] = [];
  for (const [key, obj] of cluster.managedBy(app)) {
    const m = obj.manifest;
    const ref: ResourceRef = {
      ...(groupOf(m.apiVersion) ? { group: groupOf(m.apiVersion) } : {}),
      version: versionOf(m.apiVersion),
      kind: m.kind,
      ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
      name: m.metadata.name,
      uid: uid(key, obj.createdAt),
    };
    const node: ResourceNode = { ...ref, resourceVersion: String(obj.rollout?.generation ?? 1), createdAt: rfc3339(obj.createdAt) };
    if (HEALTH_KINDS.has(m.kind)) node.health = cluster.health(key);
    if (!obj.rollout) {
      nodes.push(node);
      continue;
    }
    const sets = cluster.replicaSets(key);
    const current = sets.at(-1);
    if (current) node.info = [{ name: 'Revision', value: `Rev:${current.revision}` }];
    nodes.push(node);
    for (const rs of sets) nodes.push(...replicaSetNodes(cluster, key, obj, ref, rs, rs === current, now));
  }
  nodes.sort((a, b) => `${a.group ?? ''}/${a.kind}/${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.group ?? ''}/${b.kind}/${b.namespace ?? ''}/${b.name}`));
  return nodes.length ? { nodes } : {};
}

function replicaSetNodes(
  cluster: Cluster,
  key: string,
  obj: LiveObject,
  deployment: ResourceRef,
  rs: { templateHash: string; revision: number; createdAt: number },
  isCurrent: boolean,
  now: number,
): ResourceNode[] {
  const pods = obj.rollout!.pods.filter((p) => p.templateHash === rs.templateHash);
  const replicas = isCurrent ? desiredReplicas(obj.manifest) : pods.length;
  const available = pods.filter((p) => p.ready).length;
  const name = `${deployment.name}-${rs.templateHash}`;
  const ref: ResourceRef = { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: deployment.namespace, name, uid: uid(`${key}/rs/${rs.templateHash}`, rs.createdAt) };
  // gitops-engine's ReplicaSet health: fewer available than wanted is a rollout still in progress.
  const health: HealthStatus =
    available < replicas
      ? { status: 'Progressing', message: `Waiting for rollout to finish: ${available} out of ${replicas} new replicas are available...` }
      : { status: 'Healthy' };
  const out: ResourceNode[] = [
    {
      ...ref,
      parentRefs: [deployment],
      info: [{ name: 'Revision', value: `Rev:${rs.revision}` }],
      health,
      createdAt: rfc3339(rs.createdAt),
      resourceVersion: String(rs.revision),
    },
  ];
  for (const pod of pods) out.push(podNode(cluster, pod, ref, now));
  return out;
}

function podNode(cluster: Cluster, pod: Pod, replicaSet: ResourceRef, now: number): ResourceNode {
  const view = podStatusView(pod, now, cluster.timing.crashBackoffMs);
  return {
    version: 'v1',
    kind: 'Pod',
    namespace: pod.namespace,
    name: pod.name,
    uid: uid(`pod/${pod.namespace}/${pod.name}`, pod.createdAt),
    parentRefs: [replicaSet],
    info: podInfo(view, SIMULATED_NODE),
    networkingInfo: { labels: { app: pod.deployment, 'pod-template-hash': pod.templateHash } },
    images: [...new Set([...podInitContainers(pod), ...podContainers(pod)].map((c) => c.image))],
    health: podHealth(view, pod.ready),
    createdAt: rfc3339(pod.createdAt),
    resourceVersion: String(pod.resourceVersion ?? 1),
  };
}

/** A stable UUID-shaped id for an object, as the API server would have assigned once. */
function uid(key: string, createdAt: number): string {
  const h = createHash('sha1').update(`${key}@${createdAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function getResourceTree(ctx: ApiContext, call: ApiCall): ApplicationTree {
  const app = lookup(ctx, call, call.name!);
  return resourceTree(ctx.cluster, app.metadata.name);
}

/**
 * GET /api/v1/stream/applications/{name}/resource-tree: `{"result": <tree>}` per change, NDJSON (SSE when asked),
 * nothing until the tree changes. The caller has already authorised the request (lookup).
 */
export function watchResourceTree(cluster: Cluster, app: string, req: IncomingMessage, res: ServerResponse, keepaliveMs: number): void {
  const sse = (req.headers.accept ?? '').includes('text/event-stream');
  res.writeHead(200, { 'Content-Type': sse ? 'text/event-stream' : 'application/json', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  let last = JSON.stringify(resourceTree(cluster, app));
  const unsubscribe = cluster.onChange((apps) => {
    if (!apps.has(app)) return;
    const tree = JSON.stringify(resourceTree(cluster, app));
    if (tree === last) return;
    last = tree;
    const payload = `{"result":${tree}}`;
    res.write(sse ? `data: ${payload}\n\n` : `${payload}\n`);
  });
  const keepalive = sse ? setInterval(() => res.write(':\n\n'), keepaliveMs) : undefined;
  const close = () => {
    unsubscribe();
    if (keepalive) clearInterval(keepalive);
  };
  res.on('close', close);
  res.on('error', close);
  req.on('close', close);
}
