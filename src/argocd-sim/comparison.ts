import { isDeepStrictEqual } from 'node:util';
import { CLUSTER_SCOPED, type Cluster, groupOf, objectKey, templateImages, versionOf, worstHealth } from './cluster.js';
import type { Application, Manifest, ResourceStatus } from './types.js';

/** Rendered manifests as they would be applied: namespaced kinds get the destination namespace. */
export function targetObjects(manifests: Manifest[], app: Application): Manifest[] {
  const fallback = app.spec.destination.namespace || 'default';
  return manifests.map((m) => {
    const copy = structuredClone(m);
    if (CLUSTER_SCOPED.has(copy.kind)) delete copy.metadata.namespace;
    else if (!copy.metadata.namespace) copy.metadata.namespace = fallback;
    return copy;
  });
}

export interface Comparison {
  syncStatus: 'Synced' | 'OutOfSync';
  health: string;
  resources: ResourceStatus[];
  images: string[];
}

/** Desired vs live for one application, with per-resource and app health. */
export function compare(appName: string, targets: Manifest[], cluster: Cluster): Comparison {
  const resources: ResourceStatus[] = [];
  const keys = new Set<string>();
  const images = new Set<string>();
  for (const m of targets) {
    const key = objectKey(m);
    keys.add(key);
    const live = cluster.get(key);
    const synced = live !== undefined && live.app === appName && isDeepStrictEqual(live.manifest, m);
    const health = live ? cluster.health(key) : { status: 'Missing' };
    if (live) for (const image of templateImages(live.manifest)) images.add(image);
    resources.push(resourceStatus(m, synced ? 'Synced' : 'OutOfSync', health));
  }
  for (const [key, live] of cluster.managedBy(appName)) {
    if (keys.has(key)) continue;
    resources.push({ ...resourceStatus(live.manifest, 'OutOfSync', cluster.health(key)), requiresPruning: true });
  }
  const syncStatus = resources.every((r) => r.status === 'Synced') ? 'Synced' : 'OutOfSync';
  const health = worstHealth(resources.map((r) => r.health?.status ?? 'Healthy'));
  return { syncStatus, health, resources, images: [...images].sort() };
}

function resourceStatus(m: Manifest, status: string, health: { status?: string; message?: string } | undefined): ResourceStatus {
  const out: ResourceStatus = {
    group: groupOf(m.apiVersion) || undefined,
    version: versionOf(m.apiVersion),
    kind: m.kind,
    namespace: m.metadata.namespace,
    name: m.metadata.name,
    status,
  };
  if (health?.status) out.health = health.message ? { status: health.status, message: health.message } : { status: health.status };
  return out;
}
