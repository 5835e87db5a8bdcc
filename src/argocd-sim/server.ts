import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { ADMIN_PREFIX, type AdminContext, handleAdmin } from './admin.js';
import { ApiError, GrpcCode, invalidArgument, notFound } from './api-error.js';
import * as api from './applications.js';
import type { Principal } from './auth.js';
import type { FaultState } from './faults.js';
import type { RequestLog } from './requests.js';
import { getResourceTree, watchResourceTree } from './resource-tree.js';
import { watchApplications, writeStreamError } from './stream.js';

export interface ServerContext {
  api: api.ApiContext;
  admin: AdminContext;
  faults: FaultState;
  requests: RequestLog;
  sseKeepaliveMs: number;
}

type Handler = (call: api.ApiCall) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const APP = '/api/v1/applications/([^/]+)';
const MAX_BODY = 16 * 1024 * 1024;

export function createApiServer(ctx: ServerContext): Server {
  const a = ctx.api;
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/api\/v1\/applications$/, handler: (c) => api.listApplications(a, c) },
    { method: 'POST', pattern: /^\/api\/v1\/applications$/, handler: (c) => api.createApplication(a, c) },
    { method: 'GET', pattern: new RegExp(`^${APP}$`), handler: (c) => api.getApplication(a, c) },
    { method: 'PUT', pattern: new RegExp(`^${APP}$`), handler: (c) => api.updateApplication(a, c) },
    { method: 'PATCH', pattern: new RegExp(`^${APP}$`), handler: (c) => api.patchApplication(a, c) },
    { method: 'DELETE', pattern: new RegExp(`^${APP}$`), handler: (c) => api.deleteApplication(a, c) },
    { method: 'POST', pattern: new RegExp(`^${APP}/sync$`), handler: (c) => api.syncApplication(a, c) },
    { method: 'DELETE', pattern: new RegExp(`^${APP}/operation$`), handler: (c) => api.terminateOperation(a, c) },
    { method: 'POST', pattern: new RegExp(`^${APP}/rollback$`), handler: (c) => api.rollbackApplication(a, c) },
    { method: 'GET', pattern: new RegExp(`^${APP}/resource-tree$`), handler: (c) => getResourceTree(a, c) },
    { method: 'GET', pattern: /^\/api\/v1\/session\/userinfo$/, handler: (c) => ({ loggedIn: true, username: c.principal.subject, iss: 'argocd' }) },
    { method: 'DELETE', pattern: /^\/api\/v1\/session$/, handler: () => ({}) },
  ];

  return createServer((req, res) => {
    handle(ctx, routes, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err instanceof ApiError ? err : new ApiError(GrpcCode.Internal, String((err as Error)?.message ?? err)));
      else res.destroy();
    });
  });
}

async function handle(ctx: ServerContext, routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const path = url.pathname;
  const method = req.method ?? 'GET';

  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      if (raw.trim()) body = JSON.parse(raw);
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
      return;
    }
    for (const [k, v] of url.searchParams) body[k] ??= v;
    return handleAdmin(ctx.admin, req, res, path, body);
  }

  if (!path.startsWith('/api/')) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('404 page not found');
    return;
  }

  ctx.requests.record(method, path);
  const http = ctx.faults.http;
  if (http.dropRate && Math.random() < http.dropRate) {
    req.socket.destroy();
    return;
  }
  if (http.latencyMs) await new Promise((r) => setTimeout(r, http.latencyMs));
  if (http.errorRate && Math.random() < http.errorRate) {
    const status = http.errorStatus ?? 503;
    const code = status === 503 ? GrpcCode.Unavailable : status === 504 ? GrpcCode.DeadlineExceeded : GrpcCode.Internal;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'simulated server fault', code, message: 'simulated server fault' }));
    return;
  }

  if (path === '/api/webhook' && method === 'POST') {
    const raw = await readBody(req);
    webhook(ctx.api, raw);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  if (path === '/api/version' && method === 'GET') return sendJSON(res, { Version: 'v3.6.0+argocd-sim' });

  if (method !== 'GET' && method !== 'HEAD' && req.headers['content-type'] !== 'application/json') {
    res.writeHead(415, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Invalid content type');
    return;
  }

  const raw = method === 'GET' ? '' : await readBody(req);
  let body: Record<string, unknown> = {};
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch (err) {
      return sendError(res, invalidArgument((err as Error).message));
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return sendError(res, invalidArgument(`json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value`));
    }
  }

  if (path === '/api/v1/session' && method === 'POST') {
    return sendJSON(res, { token: ctx.api.auth.createSession(body.username, body.password) });
  }

  if (path === '/api/v1/stream/applications' && method === 'GET') {
    let principal: Principal;
    try {
      principal = ctx.api.auth.authenticate(req);
    } catch (err) {
      return writeStreamError(res, err as ApiError);
    }
    return watchApplications(ctx.api.store, principal, req, res, url.searchParams, ctx.sseKeepaliveMs);
  }

  const treeStream = /^\/api\/v1\/stream\/applications\/([^/]+)\/resource-tree$/.exec(path);
  if (treeStream && method === 'GET') {
    let app: string;
    try {
      const principal = ctx.api.auth.authenticate(req);
      const call = { principal, query: url.searchParams, body: {}, name: decodeURIComponent(treeStream[1]!), signal: new AbortController().signal };
      app = api.lookup(ctx.api, call, call.name).metadata.name;
    } catch (err) {
      return writeStreamError(res, err instanceof ApiError ? err : new ApiError(GrpcCode.Internal, String(err)));
    }
    return watchResourceTree(ctx.api.cluster, app, req, res, ctx.sseKeepaliveMs);
  }

  const route = routes.map((r) => ({ r, m: r.method === method ? r.pattern.exec(path) : null })).find((x) => x.m);
  if (!route) return sendError(res, notFound('Not Found'));
  const principal = ctx.api.auth.authenticate(req);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const name = route.m![1] ? decodeURIComponent(route.m![1]) : undefined;
  const result = await route.r.handler({ principal, query: url.searchParams, body, name, signal: abort.signal });
  sendJSON(res, result);
}

/** A push notification: refresh the applications built from the pushed repository, or all of them. */
function webhook(ctx: api.ApiContext, raw: string): void {
  let urls: string[] = [];
  try {
    const payload = JSON.parse(raw) as { repository?: Record<string, unknown> };
    const repo = payload.repository ?? {};
    urls = ['html_url', 'clone_url', 'ssh_url', 'git_url', 'url', 'git_http_url', 'git_ssh_url']
      .map((k) => repo[k])
      .filter((v): v is string => typeof v === 'string')
      .map(normaliseRepoURL);
  } catch {
    urls = [];
  }
  for (const app of ctx.store.list()) {
    const repoURL = app.spec.source?.repoURL;
    if (urls.length === 0 || (repoURL && urls.includes(normaliseRepoURL(repoURL)))) ctx.controller.requestRefresh(app.metadata.name, true);
  }
}

function normaliseRepoURL(url: string): string {
  return url.trim().toLowerCase().replace(/^file:\/\//, '').replace(/\/+$/, '').replace(/\.git$/, '');
}

function sendJSON(res: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  const text = JSON.stringify(err.body());
  res.writeHead(err.httpStatus, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(GrpcCode.ResourceExhausted, 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
