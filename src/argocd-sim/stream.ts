import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import { type Principal, allowed } from './auth.js';
import { parseSelector } from './applications.js';
import { presentApplication } from './present.js';
import type { ApplicationStore, StoreEvent, WatchEventType } from './store.js';
import type { Application } from './types.js';

/** Streaming errors are framed differently from unary ones: nested under `error`, with both codes. */
export function writeStreamError(res: ServerResponse, err: ApiError): void {
  res.writeHead(err.httpStatus, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      error: { grpc_code: err.code, http_code: err.httpStatus, message: err.message, http_status: err.httpStatusText },
    }),
  );
}

/**
 * GET /api/v1/stream/applications: NDJSON by default, SSE when asked. Events for apps
 * the caller may not see are dropped silently, and a payload identical to the previous
 * one for the same app is not sent again.
 */
export function watchApplications(
  store: ApplicationStore,
  principal: Principal,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  keepaliveMs: number,
): void {
  const sse = (req.headers.accept ?? '').includes('text/event-stream');
  const name = query.get('name') || query.get('applicationName') || '';
  const projects = [...query.getAll('projects'), ...query.getAll('project')].filter(Boolean);
  const selector = parseSelector(query.get('selector') ?? '');
  const resourceVersion = query.get('resourceVersion') ?? '';
  const last = new Map<string, string>();

  res.writeHead(200, {
    'Content-Type': sse ? 'text/event-stream' : 'application/json',
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  // Headers go out now: a watch on an app that does not exist yet must still look open.
  res.flushHeaders();
  req.socket.setNoDelay(true);

  const visible = (app: Application) =>
    (!name || app.metadata.name === name) &&
    (projects.length === 0 || projects.includes(app.spec.project)) &&
    selector(app.metadata.labels ?? {}) &&
    allowed(principal, 'get', app.spec.project, app.metadata.name);

  const send = (type: WatchEventType, app: Application, event?: StoreEvent) => {
    if (!visible(app)) return;
    const payload = event ? eventPayload(event) : JSON.stringify({ result: { type, application: presentApplication(app) } });
    const key = app.metadata.name;
    if (last.get(key) === payload) return;
    last.set(key, payload);
    if (type === 'DELETED') last.delete(key);
    res.write(sse ? `data: ${payload}\n\n` : `${payload}\n`);
  };

  // A single-app watch always starts from the current state, even when resuming, so a
  // client never misses the transition it reconnected for.
  if (!resourceVersion || name) {
    const initial = name ? [store.get(name)].filter((a): a is Application => a !== undefined) : store.list();
    for (const app of initial) send('ADDED', app);
  }
  const unsubscribe = store.subscribe((e) => send(e.type, e.app, e));
  const keepalive = sse ? setInterval(() => res.write(':\n\n'), keepaliveMs) : undefined;
  const close = () => {
    unsubscribe();
    if (keepalive) clearInterval(keepalive);
  };
  res.on('close', close);
  res.on('error', close);
  req.on('close', close);
}

const payloads = new WeakMap<StoreEvent, string>();

/** One serialisation per change, however many watchers receive it. */
function eventPayload(event: StoreEvent): string {
  let payload = payloads.get(event);
  if (payload === undefined) {
    payload = JSON.stringify({ result: { type: event.type, application: presentApplication(event.app) } });
    payloads.set(event, payload);
  }
  return payload;
}
