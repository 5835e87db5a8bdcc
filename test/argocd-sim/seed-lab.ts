import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startArgoCDSimulator, type ArgoCDSimulator, type ArgoCDSimulatorOptions } from '../../src/argocd-sim/index.js';
import type { Application } from '../../src/argocd-sim/types.js';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';

/** The seed lab's gitops repo: a bare remote plus a working clone to push from. */
export interface SeedRepo {
  root: string;
  remote: string;
  work: string;
  write(path: string, content: string): void;
  /** Commits everything and pushes main; returns the new SHA. */
  push(message: string): string;
  head(): string;
  cleanup(): void;
}

/** The seed lab's Deployment for `myapp` in one environment (the same text `npm start` seeds). */
export function deployment(env: string, replicas: number, image: string): string {
  return seedDeployment('myapp', env, replicas, image);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'lab',
      GIT_AUTHOR_EMAIL: 'lab@example.com',
      GIT_COMMITTER_NAME: 'lab',
      GIT_COMMITTER_EMAIL: 'lab@example.com',
    },
  }).trim();
}

export function createSeedRepo(): SeedRepo {
  const root = mkdtempSync(join(tmpdir(), 'argocd-sim-test-'));
  const remote = join(root, 'gitops-repo.git');
  const work = join(root, 'gitops-repo');
  git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  git(root, 'clone', '-q', remote, work);
  git(work, 'checkout', '-q', '-B', 'main');
  const repo: SeedRepo = {
    root,
    remote,
    work,
    write(path, content) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    },
    push(message) {
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '-m', message);
      git(work, 'push', '-q', 'origin', 'main');
      return repo.head();
    },
    head: () => git(work, 'rev-parse', 'HEAD'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  repo.write('dev/myapp/deployment.yaml', deployment('dev', 1, 'nginx:1.19'));
  repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:1.19'));
  repo.write('prod/myapp/deployment.yaml', deployment('prod', 3, 'nginx:latest'));
  repo.write('promenade.yaml', 'pipeline:\n  stages: [dev, staging, prod]\n');
  repo.push('Initial GitOps structure');
  return repo;
}

export const SEED_URL = 'https://github.com/example/gitops-repo';

export function seedApplication(env: 'dev' | 'staging' | 'prod', repoURL = SEED_URL): Application {
  return {
    metadata: { name: `myapp-${env}`, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: `${env}/myapp` },
      destination: { server: 'https://kubernetes.default.svc', namespace: env },
      syncPolicy:
        env === 'dev'
          ? { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] }
          : { manual: {}, syncOptions: ['CreateNamespace=true'] },
    },
  };
}

/** Timings fast enough for tests, slow enough that every intermediate state is observable. */
export const FAST: ArgoCDSimulatorOptions = {
  reconcileIntervalMs: 500,
  rolloutStepMs: 50,
  progressDeadlineMs: 2000,
  operationDelayMs: 100,
  syncDurationMs: 100,
  postOperationRefreshMs: 200,
  selfHealTimeoutMs: 300,
  refreshTimeoutMs: 10_000,
};

export async function startLab(
  extra: ArgoCDSimulatorOptions = {},
  envs: Array<'dev' | 'staging' | 'prod'> = ['dev', 'staging', 'prod'],
): Promise<{ sim: ArgoCDSimulator; repo: SeedRepo; client: ArgoClient; close(): Promise<void> }> {
  const repo = createSeedRepo();
  const sim = await startArgoCDSimulator({
    port: 0,
    ...FAST,
    repositories: { [SEED_URL]: repo.remote },
    applications: envs.map((e) => seedApplication(e)),
    ...extra,
  });
  const client = new ArgoClient(sim.url);
  await client.login();
  return {
    sim,
    repo,
    client,
    async close() {
      await sim.stop();
      repo.cleanup();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** A thin client speaking the API exactly as Argo CD clients do. */
export class ArgoClient {
  token = '';
  constructor(readonly url: string) {}

  async login(username = 'admin', password = 'admin'): Promise<void> {
    const r = await this.call('POST', '/api/v1/session', { username, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
    this.token = r.body.token;
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token && !('Authorization' in h)) h.Authorization = `Bearer ${this.token}`;
    if (method !== 'GET' && !('Content-Type' in h)) h['Content-Type'] = 'application/json';
    const res = await fetch(this.url + path, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: any = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  app(name: string, query = ''): Promise<Reply> {
    return this.call('GET', `/api/v1/applications/${name}${query}`);
  }

  sync(name: string, body: Record<string, unknown> = {}): Promise<Reply> {
    return this.call('POST', `/api/v1/applications/${name}/sync`, body);
  }

  /** Polls until `check` holds for the application, failing with the last state on timeout. */
  async waitFor(name: string, check: (app: any) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      const r = await this.app(name);
      last = r.body;
      if (r.status === 200 && check(r.body)) return r.body;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`timed out waiting for ${what} on ${name}: ${JSON.stringify(last?.status ?? last)}`);
  }

  /** `argocd app wait --sync --health`: Synced, Healthy, no operation, reconciled after it finished. */
  waitSyncedHealthy(name: string, revision?: string, timeoutMs = 10_000): Promise<any> {
    return this.waitFor(name, (a) => settled(a) && a.status.sync?.status === 'Synced' && a.status.health?.status === 'Healthy' && (!revision || a.status.sync.revision === revision), timeoutMs, 'synced+healthy');
  }
}

/** No operation in flight and the status reflects a reconcile after the last operation. */
export function settled(app: any): boolean {
  const s = app?.status ?? {};
  if (app?.operation) return false;
  const op = s.operationState;
  if (!op) return Boolean(s.reconciledAt);
  if (!op.finishedAt || !['Succeeded', 'Failed', 'Error'].includes(op.phase)) return false;
  return Boolean(s.reconciledAt) && s.reconciledAt >= op.finishedAt;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects NDJSON watch events for one application (each captured at the instant it was committed). */
export async function collectEvents(url: string, token: string, name: string): Promise<{ events: any[]; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/v1/stream/applications?name=${name}`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
  const events: any[] = [];
  void (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line).result);
        }
      }
    } catch {
      /* closed */
    }
  })();
  return { events, close: () => abort.abort() };
}
