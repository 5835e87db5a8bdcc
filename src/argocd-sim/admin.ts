import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import type { Cluster } from './cluster.js';
import type { Controller } from './controller.js';
import type { FaultControl } from './fault-control.js';
import { IMAGE_FAILURE_MODES, type ImageFailureMode } from './faults.js';
import type { RequestLog } from './requests.js';
import type { ApplicationStore } from './store.js';

export const ADMIN_PREFIX = '/sim/admin';
export const ADMIN_KEY_HEADER = 'x-sim-admin-key';

export interface AdminContext {
  faults: FaultControl;
  cluster: Cluster;
  requests: RequestLog;
  store: ApplicationStore;
  controller: Controller;
  /** When set, every admin call must carry it in `X-Sim-Admin-Key`; otherwise only loopback callers are served. */
  adminKey?: string;
}

type Body = Record<string, unknown>;

/**
 * The simulator's own control plane, outside /api so it never counts as Argo CD traffic:
 * fault switches, cluster inspection and the request counters.
 */
export async function handleAdmin(ctx: AdminContext, req: IncomingMessage, res: ServerResponse, path: string, body: Body): Promise<void> {
  const reply = (status: number, value: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (ctx.adminKey ? req.headers[ADMIN_KEY_HEADER] !== ctx.adminKey : !isLoopback(req.socket.remoteAddress)) {
    return reply(403, { error: 'admin endpoint: forbidden' });
  }
  const route = `${req.method} ${path.slice(ADMIN_PREFIX.length) || '/'}`;
  const f = ctx.faults;
  try {
    switch (route) {
      case 'GET /faults':
        return reply(200, f.snapshot());
      case 'POST /faults/images':
        f.failImages(String(body.pattern ?? ''), IMAGE_FAILURE_MODES.includes(body.mode as ImageFailureMode) ? (body.mode as ImageFailureMode) : 'pull', {
          ...(typeof body.app === 'string' && body.app ? { app: body.app } : {}),
        });
        return reply(200, f.snapshot());
      case 'DELETE /faults/images':
        f.clearImageFailures(typeof body.pattern === 'string' ? body.pattern : undefined);
        return reply(200, f.snapshot());
      case 'POST /faults/degrade':
        f.degrade(String(body.app ?? ''), { afterMs: num(body.afterMs), mode: body.mode === 'pull' ? 'pull' : 'crash' });
        return reply(200, f.snapshot());
      case 'POST /faults/recover':
        f.recover(String(body.app ?? ''));
        return reply(200, f.snapshot());
      case 'POST /faults/fail-syncs':
        f.failNextSyncs(String(body.app ?? ''), num(body.count) ?? 1, typeof body.message === 'string' ? body.message : undefined);
        return reply(200, f.snapshot());
      case 'POST /faults/http':
        f.setHttpFaults({
          errorRate: num(body.errorRate),
          errorStatus: num(body.errorStatus),
          latencyMs: num(body.latencyMs),
          dropRate: num(body.dropRate),
        });
        return reply(200, f.snapshot());
      case 'POST /faults/drift':
        f.drift(body as Parameters<FaultControl['drift']>[0]);
        return reply(200, ctx.cluster.snapshot());
      case 'POST /faults/foreign-operation':
        await f.startForeignOperation(body as unknown as Parameters<FaultControl['startForeignOperation']>[0]);
        return reply(200, {});
      case 'POST /faults/controller':
        f.pauseController(Boolean(body.paused));
        return reply(200, f.snapshot());
      case 'POST /faults/reset':
        f.reset();
        return reply(200, f.snapshot());
      case 'GET /cluster':
        return reply(200, ctx.cluster.snapshot());
      case 'GET /requests':
        return reply(200, ctx.requests.snapshot());
      case 'DELETE /requests':
      case 'POST /requests/reset':
        ctx.requests.reset();
        return reply(200, ctx.requests.snapshot());
      case 'POST /refresh': {
        const names = typeof body.app === 'string' ? [body.app] : ctx.store.list().map((a) => a.metadata.name);
        for (const name of names) ctx.controller.requestRefresh(name, true);
        return reply(200, { refreshed: names });
      }
      default:
        return reply(404, { error: `unknown admin route ${route}` });
    }
  } catch (err) {
    const status = err instanceof ApiError ? err.httpStatus : 500;
    return reply(status, { error: (err as Error).message });
  }
}

function num(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}
