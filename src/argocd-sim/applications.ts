import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { RenderError, renderSource } from './render.js';
import { ApiError, GrpcCode, appNotFound, failedPrecondition, invalidArgument, permissionDenied } from './api-error.js';
import { type Authenticator, type Principal, allowed, enforce } from './auth.js';
import type { Cluster } from './cluster.js';
import { type Controller, REFRESH_ANNOTATION } from './controller.js';
import type { GitSource } from './git-source.js';
import { jsonPatch, mergePatch } from './patch.js';
import { presentApplication } from './present.js';
import type { ApplicationStore } from './store.js';
import { rfc3339 } from './time.js';
import type { Application, Operation, SyncOperation } from './types.js';

export const CONTROL_NAMESPACE = 'argocd';

export interface ApiContext {
  store: ApplicationStore;
  controller: Controller;
  cluster: Cluster;
  git: GitSource;
  auth: Authenticator;
  refreshTimeoutMs: number;
}

export interface ApiCall {
  principal: Principal;
  query: URLSearchParams;
  body: Record<string, unknown>;
  name?: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/**
 * Resolves the named application for `action`, hiding whether it exists from callers
 * that may not see it: without `project` a missing app is indistinguishable from a
 * forbidden one.
 */
export function lookup(ctx: ApiContext, call: ApiCall, name: string): Application {
  const projects = call.query.getAll('project').filter(Boolean);
  if (projects.length > 1) throw invalidArgument('multiple projects are not supported');
  const app = ctx.store.get(name);
  const project = projects[0];
  if (project !== undefined) {
    if (!allowed(call.principal, 'get', project, name)) throw permissionDenied();
    if (!app || app.spec.project !== project) throw appNotFound(name);
    return app;
  }
  if (!app || !allowed(call.principal, 'get', app.spec.project, name)) throw permissionDenied();
  return app;
}

export function listApplications(ctx: ApiContext, call: ApiCall) {
  const projects = [...call.query.getAll('projects'), ...call.query.getAll('project')].filter(Boolean);
  const selector = parseSelector(call.query.get('selector') ?? '');
  const name = call.query.get('name');
  const items = ctx.store
    .list()
    .filter((a) => (!name || a.metadata.name === name) && (projects.length === 0 || projects.includes(a.spec.project)))
    .filter((a) => selector(a.metadata.labels ?? {}))
    .filter((a) => allowed(call.principal, 'get', a.spec.project, a.metadata.name))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map(presentApplication);
  return { metadata: { resourceVersion: String(ctx.store.currentResourceVersion) }, items };
}

export async function getApplication(ctx: ApiContext, call: ApiCall) {
  const name = call.name!;
  const app = lookup(ctx, call, name);
  const refresh = call.query.get('refresh');
  if (refresh === null) return presentApplication(app);
  const kind = refresh === 'hard' ? 'hard' : 'normal';
  (app.metadata.annotations ??= {})[REFRESH_ANNOTATION] = kind;
  ctx.store.commit(app);
  const marked = Number(app.metadata.resourceVersion);
  const refreshed = waitForRefresh(ctx, name, marked, call.signal);
  ctx.controller.requestRefresh(name, true);
  return presentApplication(await refreshed);
}

function waitForRefresh(ctx: ApiContext, name: string, marked: number, signal: AbortSignal): Promise<Application> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new ApiError(GrpcCode.Unknown, 'application refresh deadline exceeded')), ctx.refreshTimeoutMs);
    const unsubscribe = ctx.store.subscribe((e) => {
      if (e.name !== name) return;
      if (e.type === 'DELETED') return finish(appNotFound(name));
      if (Number(e.app.metadata.resourceVersion) > marked && !e.app.metadata.annotations?.[REFRESH_ANNOTATION]) finish(undefined, e.app);
    });
    const onAbort = () => finish(new ApiError(GrpcCode.Unknown, 'context canceled'));
    signal.addEventListener('abort', onAbort);
    function finish(err?: Error, app?: Application) {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(app!);
    }
  });
}

export async function createApplication(ctx: ApiContext, call: ApiCall) {
  const incoming = validate(call.body);
  const name = incoming.metadata.name;
  const upsert = call.query.get('upsert') === 'true';
  enforce(call.principal, 'create', incoming.spec.project, name);
  const existing = ctx.store.get(name);
  if (existing) {
    const same =
      isDeepStrictEqual(existing.spec, incoming.spec) &&
      isDeepStrictEqual(existing.metadata.labels ?? {}, incoming.metadata.labels ?? {}) &&
      isDeepStrictEqual(withoutRefresh(existing.metadata.annotations), withoutRefresh(incoming.metadata.annotations));
    if (same) return presentApplication(existing);
    if (!upsert) throw invalidArgument('existing application spec is different, use upsert flag to force update');
    enforce(call.principal, 'update', incoming.spec.project, name);
    return replaceSpec(ctx, existing, incoming);
  }
  await refuseMissingPath(ctx, incoming);
  const app = insertApplication(ctx.store, incoming);
  ctx.controller.requestRefresh(name, true);
  return presentApplication(app);
}

/**
 * Argo CD generates the manifests of a new Application before storing it, so a path that does not exist at the
 * target revision is refused at once (seen on v3.6.1 by the differential test). A repository or revision the
 * simulator cannot read is left to the controller, which reports it as a ComparisonError.
 */
async function refuseMissingPath(ctx: ApiContext, app: Application): Promise<void> {
  const source = app.spec.source;
  if (!source?.repoURL || source.chart) return;
  let sha: string;
  try {
    sha = await ctx.git.resolveRevision(source.repoURL, source.targetRevision, true);
    await renderSource(ctx.git, source, sha);
  } catch (err) {
    if (!(err instanceof RenderError) || !/app path does not exist/.test(err.message)) return;
    const path = source.path ?? '.';
    throw invalidArgument(
      `application spec for ${app.metadata.name} is invalid: InvalidSpecError: Unable to generate manifests in ${path}: rpc error: code = Unknown desc = ${err.message}`,
    );
  }
}

/** Stores a new, validated application (used by the API and programmatic creation). */
export function insertApplication(store: ApplicationStore, incoming: Application): Application {
  const app: Application = {
    metadata: {
      ...incoming.metadata,
      namespace: CONTROL_NAMESPACE,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: rfc3339(),
    },
    spec: incoming.spec,
  };
  delete app.metadata.resourceVersion;
  store.commit(app);
  return app;
}

export function updateApplication(ctx: ApiContext, call: ApiCall) {
  const incoming = validate(call.body);
  if (incoming.metadata.name !== call.name) throw invalidArgument(`application name mismatch: ${incoming.metadata.name} != ${call.name}`);
  const app = lookup(ctx, call, call.name!);
  enforce(call.principal, 'update', app.spec.project, app.metadata.name);
  if (incoming.spec.project !== app.spec.project) enforce(call.principal, 'update', incoming.spec.project, app.metadata.name);
  return replaceSpec(ctx, app, incoming);
}

export function patchApplication(ctx: ApiContext, call: ApiCall) {
  const app = lookup(ctx, call, call.name!);
  enforce(call.principal, 'update', app.spec.project, app.metadata.name);
  const patchType = typeof call.body.patchType === 'string' ? call.body.patchType : '';
  let patch: unknown;
  try {
    patch = JSON.parse(typeof call.body.patch === 'string' ? call.body.patch : '');
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
  const doc = { metadata: app.metadata, spec: app.spec };
  let patched: unknown;
  if (patchType === 'merge') patched = mergePatch(doc, patch);
  else if (patchType === 'json' || patchType === '') patched = jsonPatch(doc, patch);
  else throw invalidArgument(`Patch type '${patchType}' is not supported`);
  const incoming = validate({ ...(patched as object), metadata: { ...(patched as Application).metadata, name: app.metadata.name } });
  return replaceSpec(ctx, app, incoming);
}

function replaceSpec(ctx: ApiContext, app: Application, incoming: Application) {
  const changed = !isDeepStrictEqual(app.spec, incoming.spec);
  app.spec = incoming.spec;
  app.metadata.labels = incoming.metadata.labels;
  app.metadata.annotations = incoming.metadata.annotations;
  if (changed) app.metadata.generation = (app.metadata.generation ?? 1) + 1;
  ctx.store.commit(app);
  if (changed) ctx.controller.requestRefresh(app.metadata.name, true);
  return presentApplication(app);
}

export function deleteApplication(ctx: ApiContext, call: ApiCall) {
  const app = lookup(ctx, call, call.name!);
  enforce(call.principal, 'delete', app.spec.project, app.metadata.name);
  const cascade = call.query.get('cascade') !== 'false';
  const name = app.metadata.name;
  ctx.controller.forget(name);
  ctx.store.delete(name);
  if (cascade) for (const [key] of ctx.cluster.managedBy(name)) ctx.cluster.delete(key);
  return {};
}

export async function syncApplication(ctx: ApiContext, call: ApiCall) {
  const app = lookup(ctx, call, call.name!);
  const name = app.metadata.name;
  enforce(call.principal, 'sync', app.spec.project, name);
  const body = call.body;
  const source = app.spec.source!;
  const requested = typeof body.revision === 'string' ? body.revision : '';
  let sha: string;
  try {
    sha = await ctx.git.resolveRevision(source.repoURL, requested || source.targetRevision, true);
  } catch (err) {
    throw failedPrecondition((err as Error).message);
  }
  const automated = app.spec.syncPolicy?.automated;
  const target = source.targetRevision || 'HEAD';
  if (automated && automated.enabled !== false && !body.dryRun && requested && requested !== target) {
    throw failedPrecondition(`Cannot sync to ${requested}: auto-sync currently set to ${target}`);
  }
  const current = ctx.store.get(name);
  if (!current) throw permissionDenied();
  if (current.operation) throw failedPrecondition('another operation is already in progress');
  const sync: SyncOperation = { revision: sha };
  if (body.prune) sync.prune = true;
  if (body.dryRun) sync.dryRun = true;
  // Argo CD stores the strategy the request sent, and none when it sent none (the argocd CLI sends hook: {}).
  if (body.strategy) sync.syncStrategy = body.strategy as Record<string, unknown>;
  if (Array.isArray(body.resources) && body.resources.length) sync.resources = body.resources as SyncOperation['resources'];
  const options = (body.syncOptions as { items?: string[] } | undefined)?.items;
  if (options?.length) sync.syncOptions = options;
  const operation: Operation = {
    sync,
    initiatedBy: { username: call.principal.subject },
    ...(Array.isArray(body.infos) && body.infos.length ? { info: body.infos as Operation['info'] } : {}),
    retry: (body.retryStrategy as Operation['retry']) ?? {},
  };
  return setOperation(ctx, current, operation);
}

export function setOperation(ctx: ApiContext | { store: ApplicationStore; controller: Controller }, app: Application, operation: Operation, holdMs = 0) {
  app.operation = operation;
  if (app.status) delete app.status.operationState;
  ctx.store.commit(app);
  ctx.controller.operationRequested(app.metadata.name, holdMs);
  return presentApplication(app);
}

export function terminateOperation(ctx: ApiContext, call: ApiCall) {
  const app = lookup(ctx, call, call.name!);
  enforce(call.principal, 'sync', app.spec.project, app.metadata.name);
  if (!app.operation || !app.status?.operationState) {
    throw invalidArgument('Unable to terminate operation. No operation is in progress');
  }
  ctx.controller.terminateOperation(app.metadata.name);
  return {};
}

export function rollbackApplication(ctx: ApiContext, call: ApiCall) {
  const app = lookup(ctx, call, call.name!);
  enforce(call.principal, 'sync', app.spec.project, app.metadata.name);
  const automated = app.spec.syncPolicy?.automated;
  if (automated && automated.enabled !== false) throw failedPrecondition('rollback cannot be initiated when auto-sync is enabled');
  const id = Number(call.body.id ?? 0);
  const entry = (app.status?.history ?? []).find((h) => h.id === id);
  if (!entry) throw invalidArgument(`application ${CONTROL_NAMESPACE}/${app.metadata.name} does not have deployment with id ${id}`);
  if (app.operation) throw failedPrecondition('another operation is already in progress');
  const sync: SyncOperation = { revision: entry.revision, source: structuredClone(entry.source) };
  if (call.body.dryRun) sync.dryRun = true;
  if (call.body.prune) sync.prune = true;
  return setOperation(ctx, app, { sync, initiatedBy: { username: call.principal.subject }, retry: {} });
}

/** Checks an incoming Application body the way Argo CD's validation reports it. */
export function validate(body: unknown): Application {
  const app = structuredClone(body) as Partial<Application> | undefined;
  const name = app?.metadata?.name;
  if (!app || typeof app !== 'object' || !name) throw invalidArgument('application name is required');
  const problems: string[] = [];
  const spec = app.spec;
  if (!spec || typeof spec !== 'object') problems.push('spec is required');
  else {
    if (!spec.source?.repoURL) problems.push('spec.source.repoURL and either spec.source.path, spec.source.chart, or spec.source.ref are required');
    if (!spec.destination || (!spec.destination.server && !spec.destination.name)) problems.push('Destination server missing from app spec');
    if (!spec.project) spec.project = 'default';
  }
  if (problems.length) throw invalidArgument(`application spec for ${name} is invalid: InvalidSpecError: ${problems.join('; ')}`);
  return { metadata: { ...app.metadata!, name }, spec: spec! };
}

function withoutRefresh(annotations: Record<string, string> | undefined): Record<string, string> {
  const copy = { ...(annotations ?? {}) };
  delete copy[REFRESH_ANNOTATION];
  return copy;
}

/** Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
export function parseSelector(text: string): (labels: Record<string, string>) => boolean {
  const parts = text.match(/[^,(]+(\([^)]*\))?/g)?.map((p) => p.trim()).filter(Boolean) ?? [];
  const tests = parts.map((part): ((l: Record<string, string>) => boolean) => {
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const key = m[1]!;
      return m[2] === 'in' ? (l) => key in l && values.includes(l[key]!) : (l) => !(key in l) || !values.includes(l[key]!);
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if (part.startsWith('!')) return (l) => !(part.slice(1) in l);
    return (l) => part in l;
  });
  return (labels) => tests.every((t) => t(labels));
}
