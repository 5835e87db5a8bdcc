// Argo CD's resource tree of one application (`GET /api/v1/applications/{name}/resource-tree`) and its stream
// (`/api/v1/stream/applications/{name}/resource-tree`): the live Pods and ReplicaSets beneath the app's objects,
// which the Application itself summarises away. Pod restarts never change the Application, only the tree. Names
// are the API's (v1alpha1ApplicationTree, ResourceNode, InfoItem); every field may be absent (omitempty).
import type { ArgoCDClient } from './client.js';
import type { HealthStatus, Info } from './types.js';

export interface ResourceRef {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
}

export interface ResourceNode extends ResourceRef {
  parentRefs?: ResourceRef[];
  info?: Info[];
  images?: string[];
  health?: HealthStatus;
  createdAt?: string;
  resourceVersion?: string;
}

export interface ApplicationTree {
  nodes?: ResourceNode[];
  orphanedNodes?: ResourceNode[];
}

const treePath = (name: string) => `/api/v1/applications/${encodeURIComponent(name)}/resource-tree`;
const streamPath = (name: string) => `/api/v1/stream/applications/${encodeURIComponent(name)}/resource-tree`;

export function getResourceTree(client: ArgoCDClient, name: string, opts: { project: string; signal?: AbortSignal }): Promise<ApplicationTree> {
  return client.get<ApplicationTree>(treePath(name), new URLSearchParams({ project: opts.project }), { application: name, signal: opts.signal, tries: 1 });
}

/** Each changed tree; nothing while the tree is quiet (no initial snapshot: read that with getResourceTree first). */
export function watchResourceTree(client: ArgoCDClient, name: string, opts: { project: string; signal?: AbortSignal }): AsyncGenerator<ApplicationTree> {
  return client.streamResults<ApplicationTree>(streamPath(name), new URLSearchParams({ project: opts.project }), name, opts.signal);
}

/** The value of one `info` item of a node, e.g. `Status Reason`, `Restart Count`, `Revision`. */
export function infoValue(node: ResourceNode, name: string): string | undefined {
  return node.info?.find((i) => i.name === name)?.value;
}
