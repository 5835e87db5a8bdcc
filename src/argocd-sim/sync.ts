import { CLUSTER_SCOPED, type Cluster, groupOf, objectKey, versionOf } from './cluster.js';
import type { Application, Manifest, ResourceResult, SyncOperation } from './types.js';

const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export interface SyncOutcome {
  ok: boolean;
  message: string;
  resources: ResourceResult[];
}

/** `deployment.apps/web`, `service/web`: the reference kubectl prints. */
export function kubectlRef(m: Manifest): string {
  const group = groupOf(m.apiVersion);
  return `${m.kind.toLowerCase()}${group ? `.${group}` : ''}/${m.metadata.name}`;
}

/**
 * Applies one sync operation's targets to the cluster. Like Argo CD, every object is
 * validated (dry run) before anything is applied, so a failing object leaves the cluster
 * untouched.
 */
export function applySync(app: Application, sync: SyncOperation, targets: Manifest[], cluster: Cluster): SyncOutcome {
  const name = app.metadata.name;
  const dryRun = Boolean(sync.dryRun);
  const partial = (sync.resources?.length ?? 0) > 0;
  const selected = partial
    ? targets.filter((m) =>
        sync.resources!.some(
          (r) => r.kind === m.kind && r.name === m.metadata.name && (r.group ?? '') === groupOf(m.apiVersion) && (!r.namespace || r.namespace === m.metadata.namespace),
        ),
      )
    : targets;
  const options = [...(app.spec.syncPolicy?.syncOptions ?? []), ...(sync.syncOptions ?? [])];
  const createNamespace = options.includes('CreateNamespace=true');
  const destNamespace = app.spec.destination.namespace;
  const ordered = [...selected].sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
  const namespacesInSync = new Set(ordered.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
  const willExist = (ns: string) =>
    cluster.hasNamespace(ns) || namespacesInSync.has(ns) || (createNamespace && ns === destNamespace);

  const results: ResourceResult[] = [];
  const failures: string[] = [];
  for (const m of ordered) {
    const ns = m.metadata.namespace ?? '';
    if (!CLUSTER_SCOPED.has(m.kind) && !willExist(ns)) {
      const message = `namespaces "${ns}" not found`;
      failures.push(message);
      results.push(result(m, 'SyncFailed', message));
    }
  }
  if (failures.length) {
    return { ok: false, message: `one or more objects failed to apply, reason: ${failures.join(',')}`, resources: results };
  }

  if (createNamespace && destNamespace && !cluster.hasNamespace(destNamespace) && !namespacesInSync.has(destNamespace)) {
    if (!dryRun) cluster.createNamespace(destNamespace);
    results.push({
      group: '',
      version: 'v1',
      kind: 'Namespace',
      namespace: '',
      name: destNamespace,
      status: 'Synced',
      message: `namespace/${destNamespace} created${dryRun ? ' (dry run)' : ''}`,
      syncPhase: 'PreSync',
    });
  }
  for (const m of ordered) {
    const key = objectKey(m);
    let verb: string;
    if (dryRun) verb = `${cluster.get(key) ? 'configured' : 'created'} (dry run)`;
    else verb = cluster.apply(m, name);
    results.push(result(m, 'Synced', `${kubectlRef(m)} ${verb}`));
  }
  if (!partial) {
    const wanted = new Set(targets.map(objectKey));
    for (const [key, live] of cluster.managedBy(name)) {
      if (wanted.has(key)) continue;
      if (sync.prune) {
        if (!dryRun) cluster.delete(key);
        results.push(result(live.manifest, 'Pruned', dryRun ? 'pruned (dry run)' : 'pruned'));
      } else {
        results.push(result(live.manifest, 'PruneSkipped', 'ignored (requires pruning)'));
      }
    }
  }
  return { ok: true, message: dryRun ? 'successfully synced (dry run)' : 'successfully synced (all tasks run)', resources: results };
}

function result(m: Manifest, status: ResourceResult['status'], message: string): ResourceResult {
  return {
    group: groupOf(m.apiVersion),
    version: versionOf(m.apiVersion),
    kind: m.kind,
    namespace: m.metadata.namespace ?? '',
    name: m.metadata.name,
    status,
    message,
    syncPhase: 'Sync',
  };
}

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}
