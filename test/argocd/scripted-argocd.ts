// A scripted Argo CD for one application, just enough to drive syncAndWait and watchHealth through the
// documented races with real HTTP and a real NDJSON stream. Timestamps come from a virtual clock that
// advances one whole second per controller step, so finishedAt/reconciledAt order like a slow real one.
import type { ServerResponse } from 'node:http';
import type { Application, Info, Operation } from '../../src/argocd/types.js';
import { argoError, json, startTestServer, type Recorded, type TestServer } from './http-server.js';

export interface ScriptOptions {
  name?: string;
  project?: string;
  automated?: boolean;
  /** What the branch points at (git push = setHead). */
  head: string;
  /** What is deployed now. */
  deployed: string;
  /** Delay of each controller step, in real ms. */
  stepMs?: number;
  /** Health the app settles on after deploying a revision. */
  healthAfter?: (revision: string) => { status: string; message?: string };
  /** Sync outcome per revision. */
  syncOutcome?: (revision: string) => 'Succeeded' | 'Failed';
  /** The controller's refresh after an operation (docs/argocd-races.md#stale-reconcile); off = only a hard refresh brings status up to date. */
  reconcileAfterSync?: boolean;
  /** The controller never starts auto-sync on its own. */
  autoSyncStalled?: boolean;
}

export class ScriptedArgoCD {
  server!: TestServer;
  app: Application;
  readonly opts: Required<Omit<ScriptOptions, 'healthAfter' | 'syncOutcome'>> & Pick<ScriptOptions, 'healthAfter' | 'syncOutcome'>;
  private rv = 100;
  private clock = Date.parse('2026-11-26T02:00:00Z');
  private streams = new Set<ServerResponse>();
  private autoAttempted = new Set<string>();
  private timers = new Set<NodeJS.Timeout>();
  /** Hook run on each sync POST before the default behaviour; return true if it answered. */
  onSync?: (req: Recorded, res: ServerResponse) => boolean;
  /** Hook per stream connection: return true to take the connection over. */
  onStream?: (req: Recorded, res: ServerResponse, n: number) => boolean;
  private streamCount = 0;

  constructor(opts: ScriptOptions) {
    this.opts = {
      name: 'myapp-staging',
      project: 'default',
      automated: false,
      stepMs: 25,
      reconcileAfterSync: true,
      autoSyncStalled: false,
      ...opts,
    };
    const o = this.opts;
    this.app = {
      metadata: { name: o.name, namespace: 'argocd', resourceVersion: String(this.rv), generation: 3, annotations: {} },
      spec: {
        project: o.project,
        source: { repoURL: 'https://git.example.com/gitops.git', path: 'staging/myapp', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'staging' },
        syncPolicy: o.automated ? { automated: { prune: true, selfHeal: true } } : {},
      },
      status: {
        sync: { status: o.head === o.deployed ? 'Synced' : 'OutOfSync', revision: o.deployed },
        health: { status: 'Healthy' },
        reconciledAt: this.ts(),
        resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'staging', name: 'myapp', status: 'Synced', health: { status: 'Healthy' } }],
        history: [{ id: 0, revision: o.deployed, deployedAt: this.ts(), deployStartedAt: this.ts(), initiatedBy: { username: 'admin' } }],
        summary: {},
      },
    };
  }

  async start(): Promise<this> {
    this.server = await startTestServer((req, res) => this.route(req, res));
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.streams) s.destroy();
    await this.server.close();
  }

  ts(): string {
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  requestsTo(method: string, pathEnd: string): Recorded[] {
    return this.server.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));
  }

  /** Apply a change as the API server would: new resourceVersion, event to every stream. */
  mutate(fn: (app: Application) => void): void {
    this.clock += 1000;
    fn(this.app);
    this.rv++;
    this.app.metadata.resourceVersion = String(this.rv);
    const line = JSON.stringify({ result: { type: 'MODIFIED', application: this.app } }) + '\n';
    for (const s of this.streams) s.write(line);
  }

  later(fn: () => void, steps = 1): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.opts.stepMs * steps);
    this.timers.add(t);
  }

  /** The controller's reconcile: resolve the branch, compare, maybe auto-sync. */
  reconcile(also?: (app: Application) => void): void {
    this.mutate((a) => {
      const st = a.status!;
      st.reconciledAt = this.ts();
      st.sync = { ...st.sync, revision: this.opts.head, status: this.deployed() === this.opts.head ? 'Synced' : 'OutOfSync' };
      also?.(a);
    });
    if (
      this.opts.automated &&
      !this.opts.autoSyncStalled &&
      !this.app.operation &&
      this.deployed() !== this.opts.head &&
      !this.autoAttempted.has(this.opts.head)
    ) {
      this.autoAttempted.add(this.opts.head);
      this.begin({ sync: { revision: this.opts.head, prune: true }, initiatedBy: { automated: true }, retry: { limit: 5 } });
    }
  }

  deployed(): string {
    return this.app.status!.history!.at(-1)!.revision!;
  }

  /** Accept an operation and run it through Running -> final -> refresh -> health settles. */
  begin(op: Operation): void {
    this.mutate((a) => {
      a.operation = op;
      delete a.status!.operationState;
    });
    this.later(() => {
      this.mutate((a) => {
        a.status!.operationState = { operation: op, phase: 'Running', message: 'one or more tasks are running', startedAt: this.ts(), syncResult: { revision: op.sync!.revision } };
      });
      this.later(() => this.finish(op));
    });
  }

  private finish(op: Operation): void {
    const revision = op.sync!.revision!;
    const outcome = this.opts.syncOutcome?.(revision) ?? 'Succeeded';
    this.mutate((a) => {
      const os = a.status!.operationState!;
      delete a.operation;
      os.phase = outcome;
      os.finishedAt = this.ts();
      if (outcome === 'Succeeded') {
        os.message = 'successfully synced (all tasks run)';
        os.syncResult = { revision, resources: [{ kind: 'Deployment', namespace: 'staging', name: 'myapp', status: 'Synced', message: 'deployment.apps/myapp configured' }] };
        a.status!.history!.push({ id: a.status!.history!.length, revision, deployedAt: this.ts(), deployStartedAt: os.startedAt, initiatedBy: op.initiatedBy });
      } else {
        os.message = 'one or more objects failed to apply, reason: Deployment.apps "myapp" is invalid';
        os.syncResult = { revision, resources: [{ kind: 'Deployment', namespace: 'staging', name: 'myapp', status: 'SyncFailed', message: 'Deployment.apps "myapp" is invalid' }] };
      }
    });
    if (outcome !== 'Succeeded') return;
    if (this.opts.reconcileAfterSync) this.later(() => this.settle());
  }

  /** Reconcile after a deploy: Progressing first, then the health the script asks for. */
  settle(): void {
    // Health is computed in the same reconcile as the comparison: a new generation is Progressing at once.
    this.reconcile((a) => {
      a.status!.health = { status: 'Progressing', message: 'Waiting for rollout to finish: 0 of 1 updated replicas are available...' };
    });
    this.later(() => {
      const h = this.opts.healthAfter?.(this.deployed()) ?? { status: 'Healthy' };
      this.mutate((a) => {
        a.status!.health = { status: h.status, ...(h.message ? { message: h.message } : {}) };
        a.status!.resources![0]!.health = { status: h.status, ...(h.message ? { message: h.message } : {}) };
      });
    });
  }

  private route(req: Recorded, res: ServerResponse): void {
    const o = this.opts;
    if (req.path === '/api/v1/stream/applications') {
      this.streamCount++;
      if (this.onStream?.(req, res, this.streamCount)) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.query.get('name') === o.name && req.query.getAll('projects').includes(o.project)) {
        res.write(JSON.stringify({ result: { type: 'ADDED', application: this.app } }) + '\n');
      }
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      return;
    }
    const m = /^\/api\/v1\/applications\/([^/]+)(\/sync|\/operation)?$/.exec(req.path);
    if (!m || decodeURIComponent(m[1]!) !== o.name) {
      argoError(res, 404, 5, `applications.argoproj.io "${m ? decodeURIComponent(m[1]!) : '?'}" not found`);
      return;
    }
    const project = req.method === 'POST' ? (JSON.parse(req.body || '{}') as { project?: string }).project : req.query.get('project');
    if (project !== o.project) {
      argoError(res, 404, 5, `applications.argoproj.io "${o.name}" not found`);
      return;
    }
    if (req.method !== 'GET' && req.headers['content-type'] !== 'application/json') {
      res.writeHead(415, { 'content-type': 'text/plain' });
      res.end('Invalid content type');
      return;
    }
    if (req.method === 'GET' && !m[2]) {
      const refresh = req.query.get('refresh');
      if (refresh) {
        // The server blocks until the controller has reconciled; a hard refresh also re-reads live state.
        this.later(() => {
          this.reconcile();
          json(res, 200, this.app);
        });
        return;
      }
      json(res, 200, this.app);
      return;
    }
    if (req.method === 'POST' && m[2] === '/sync') {
      if (this.onSync?.(req, res)) return;
      const body = JSON.parse(req.body || '{}') as { revision?: string; infos?: Info[] };
      if (this.app.operation) {
        argoError(res, 400, 9, 'another operation is already in progress');
        return;
      }
      if (o.automated && body.revision && body.revision !== 'main') {
        argoError(res, 400, 3, `Cannot sync to ${body.revision}: auto-sync currently set to main`);
        return;
      }
      this.begin({ sync: { revision: body.revision ?? o.head }, initiatedBy: { username: 'promenade' }, info: body.infos, retry: {} });
      json(res, 200, this.app);
      return;
    }
    argoError(res, 400, 3, 'unsupported by the scripted Argo CD');
  }

  /** A git push of a new commit; the controller only notices on a refresh. */
  push(sha: string): void {
    this.opts.head = sha;
  }
}
