// The few Kubernetes API calls the real Argo CD lane needs, over HTTPS with the lane's CA and a bearer token.
// Objects go in by server-side apply (PATCH application/apply-patch+yaml), which is what `kubectl apply
// --server-side` sends, so the lane needs no kubectl binary.
import got, { type Got } from 'got';
import { setTimeout as sleep } from 'node:timers/promises';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** Plural resource names of the kinds the lane touches (no discovery: the list is short and fixed). */
const RESOURCES: Record<string, string> = {
  Namespace: 'namespaces',
  Node: 'nodes',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  Pod: 'pods',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  CustomResourceDefinition: 'customresourcedefinitions',
  Application: 'applications',
  AppProject: 'appprojects',
  ApplicationSet: 'applicationsets',
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
  ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
};

export function resourcePath(apiVersion: string, kind: string, namespace: string | undefined, name?: string): string {
  const plural = RESOURCES[kind];
  if (!plural) throw new Error(`the lane's Kubernetes client does not know the kind ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${plural}${name ? `/${name}` : ''}`;
}

export class KubeApi {
  private readonly http: Got;

  constructor(
    readonly server: string,
    token: string,
    ca: string,
  ) {
    this.http = got.extend({
      prefixUrl: server,
      headers: { authorization: `Bearer ${token}` },
      https: { certificateAuthority: ca },
      responseType: 'json',
      retry: { limit: 0 },
      timeout: { request: 30_000 },
      throwHttpErrors: true,
    });
  }

  /** Server-side apply, field manager "promenade-lane", conflicts forced (the lane owns these objects). */
  async apply<T = KubeObject>(object: KubeObject): Promise<T> {
    const path = resourcePath(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name);
    const res = await this.http.patch(path.slice(1), {
      searchParams: { fieldManager: 'promenade-lane', force: 'true' },
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify(object),
    });
    return res.body as T;
  }

  async get<T = any>(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<T | undefined> {
    const res = await this.http.get(resourcePath(apiVersion, kind, namespace, name).slice(1), { throwHttpErrors: false });
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw new Error(`GET ${kind} ${namespace ?? ''}/${name}: HTTP ${res.statusCode} ${JSON.stringify(res.body)}`);
    return res.body as T;
  }

  async list<T = any>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]> {
    const res = await this.http.get(resourcePath(apiVersion, kind, namespace).slice(1), { searchParams: labelSelector ? { labelSelector } : undefined });
    return (res.body as unknown as { items: T[] }).items;
  }

  /** A JSON merge patch, e.g. to change a live object behind Argo CD's back. */
  async mergePatch<T = any>(apiVersion: string, kind: string, namespace: string | undefined, name: string, patch: unknown): Promise<T> {
    const res = await this.http.patch(resourcePath(apiVersion, kind, namespace, name).slice(1), {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify(patch),
    });
    return res.body as T;
  }

  async delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<void> {
    await this.http.delete(resourcePath(apiVersion, kind, namespace, name).slice(1), { throwHttpErrors: false });
  }

  /** GET of a raw path (e.g. `readyz`); status and text, never throws on HTTP errors. */
  async raw(path: string): Promise<{ status: number; text: string }> {
    const res = await this.http.get(path.replace(/^\//, ''), { responseType: 'text', throwHttpErrors: false });
    return { status: res.statusCode, text: res.body };
  }

  /** Polls a getter until `check` holds; fails with `what` and the last value on timeout. */
  async waitFor<T>(what: string, get: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    let lastError: unknown;
    for (;;) {
      try {
        last = await get();
        if (check(last)) return last;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}: ${lastError ? (lastError as Error).message : JSON.stringify(last)?.slice(0, 500)}`);
      }
      await sleep(200);
    }
  }
}
