// The local stack a benchmark runs on: one Temporal dev server for the whole run, and per scenario a bare GitOps
// repository (generated with git fast-import, so 20,000 commits take seconds), the Argo CD simulator with one
// Application per app and environment, and a worker on a task queue of its own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { ArgoCDClient } from '../src/argocd/client.js';
import type { Application } from '../src/argocd/types.js';
import type { ActivitySettings } from '../src/activities/index.js';
import { startArgoCDSimulator, type ArgoCDSimulator, type ArgoCDSimulatorOptions } from '../src/argocd-sim/index.js';
import { parsePipelineFile, resolveAppPipeline } from '../src/config/pipeline-file.js';
import type { AppPipeline } from '../src/config/pipeline.js';
import { startDevServer, type DevServer } from '../src/stack/dev-server.js';
import { freePort } from '../src/stack/ports.js';
import { argocdSessionToken, installSeedApplications } from '../src/stack/seed-applications.js';
import { seedApplications, seedDeployment } from '../src/bootstrap/seed-layout.js';
import { resolveTemporalCli } from '../src/stack/temporal-cli.js';
import { createPromotionWorker, workflowsPath } from '../src/worker.js';

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/promenade.js', import.meta.url));

/**
 * Argo CD timings for every scenario and every contender: a sync is accepted in 50 ms, applies in 100 ms, each pod
 * is ready 40 ms later, and the controller reconciles every 30 s (Argo CD's default is 180 s; requested refreshes
 * are answered at once either way).
 */
export const SIMULATOR_TIMINGS: ArgoCDSimulatorOptions = {
  reconcileIntervalMs: 30_000,
  rolloutStepMs: 40,
  progressDeadlineMs: 60_000,
  operationDelayMs: 50,
  syncDurationMs: 100,
  postOperationRefreshMs: 150,
  selfHealTimeoutMs: 5_000,
};

export interface Temporal {
  address: string;
  client: Client;
  bundle: WorkflowBundle;
  stop(): Promise<void>;
}

export async function startTemporal(log: (line: string) => void): Promise<Temporal> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cliPath = await resolveTemporalCli({ log });
  const server: DevServer = await startDevServer({ cliPath, port: await freePort(), headless: true });
  const connection = await Connection.connect({ address: server.address });
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  return {
    address: server.address,
    client: new Client({ connection, namespace: 'default' }),
    bundle,
    async stop() {
      await connection.close();
      await server.stop();
    },
  };
}

export interface RepositorySpec {
  apps: string[];
  environments: readonly string[];
  /** Commits on main, the first holding every manifest and promenade.yaml; the rest each change one other app. */
  commits: number;
  pipeline: string;
  /** Apps that get Argo CD Applications; default all. */
  installed?: string[];
}

const ENV_REPLICAS: Record<string, number> = { dev: 1, staging: 2, prod: 3 };

/**
 * A bare repository with the spec's history. Long histories are generated once into a cache outside the checkout
 * and copied: fast-import rewrites a 500-entry tree per commit, which takes minutes on a busy two-core machine.
 */
export async function generateRepository(bare: string, spec: RepositorySpec): Promise<string> {
  if (spec.commits < 1000) {
    await writeHistory(bare, spec);
    return `file://${bare}`;
  }
  const key = createHash('sha256').update(JSON.stringify([spec.apps, spec.environments, spec.commits, spec.pipeline])).digest('hex').slice(0, 16);
  const cached = join(process.env.PROMENADE_CACHE_DIR ?? join(homedir(), '.cache', 'promenade'), 'bench-repos', `${key}.git`);
  if (!existsSync(join(cached, 'HEAD'))) {
    const partial = `${cached}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(dirname(partial), { recursive: true });
    await writeHistory(partial, spec);
    await rename(partial, cached);
  }
  await cp(cached, bare, { recursive: true });
  return `file://${bare}`;
}

async function writeHistory(bare: string, spec: RepositorySpec): Promise<void> {
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const chunks: string[] = [];
  const blob = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let time = 1_600_000_000;
  const commit = (message: string, files: Array<[string, string]>) => {
    time += 60;
    chunks.push(`commit refs/heads/main\ncommitter seed <seed@localhost> ${time} +0000\n${blob(message)}`);
    for (const [path, text] of files) chunks.push(`M 100644 inline ${path}\n${blob(text)}`);
    chunks.push('\n');
  };
  const initial: Array<[string, string]> = [['promenade.yaml', spec.pipeline]];
  for (const app of spec.apps) {
    for (const env of spec.environments) initial.push([`${env}/${app}/deployment.yaml`, seedDeployment(app, env, ENV_REPLICAS[env] ?? 1, 'nginx:1.19')]);
  }
  commit('Initial GitOps structure', initial);
  // History touches every app but the first, which the scenarios promote: its manifests stay as seeded.
  const others = spec.apps.length > 1 ? spec.apps.slice(1) : spec.apps;
  for (let i = 1; i < spec.commits; i++) {
    const app = others[i % others.length]!;
    const env = spec.environments[i % spec.environments.length]!;
    commit(`history ${i}: ${app} ${env}`, [[`${env}/${app}/deployment.yaml`, seedDeployment(app, env, ENV_REPLICAS[env] ?? 1, `nginx:1.${i % 97}`)]]);
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['-C', bare, 'fast-import', '--quiet'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed: ${stderr}`))));
    child.stdin.end(chunks.join(''));
  });
}

/** A `git` on PATH that appends the subcommand of every run to `log` (shell builtins only), then runs the real git. */
export async function countingGit(dir: string, log: string): Promise<string> {
  const real = (await exec('sh', ['-c', 'command -v git'])).stdout.trim();
  await mkdir(dir, { recursive: true });
  const script = [
    '#!/bin/sh',
    'sub=; skip=0',
    'for a in "$@"; do',
    '  if [ $skip = 1 ]; then skip=0; continue; fi',
    '  case "$a" in -c|-C) skip=1 ;; -*) ;; *) sub=$a; break ;; esac',
    'done',
    `echo "$sub" >> '${log}'`,
    `exec '${real}' "$@"`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'git'), script);
  await chmod(join(dir, 'git'), 0o755);
  return dir;
}

export interface Lab {
  root: string;
  repositoryUrl: string;
  bare: string;
  sim: ArgoCDSimulator;
  argocd: ArgoCDClient;
  token: string;
  taskQueue: string;
  settings: ActivitySettings;
  pipeline(app: string): AppPipeline;
  startWorker(options?: { gitEnv?: NodeJS.ProcessEnv }): Promise<Worker>;
  /** `promenade worker` as a child process of its own, so its memory is its own. */
  spawnWorker(extraEnv?: NodeJS.ProcessEnv): ChildProcess;
  git(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** `simulator` overrides the shared timings for a scenario that is about one of them (e.g. the progress deadline). */
export async function createLab(temporal: Temporal, spec: RepositorySpec, simulator: ArgoCDSimulatorOptions = {}): Promise<Lab> {
  const root = await mkdtemp(join(tmpdir(), 'promenade-bench-'));
  const bare = join(root, 'gitops.git');
  const repositoryUrl = await generateRepository(bare, spec);
  const sim = await startArgoCDSimulator({ ...SIMULATOR_TIMINGS, ...simulator });
  const token = await argocdSessionToken(sim.url, 'admin', 'admin');
  const argocd = new ArgoCDClient({ baseUrl: sim.url, token, insecure: false });
  const file = parsePipelineFile(spec.pipeline, { repository: repositoryUrl });
  const applications: Application[] = [];
  for (const app of spec.installed ?? spec.apps) {
    const wanted = new Set(resolveAppPipeline(file, app).environments.map((e) => e.name));
    applications.push(...seedApplications(repositoryUrl, app).filter((a) => wanted.has(a.metadata.labels['promenade.dev/environment'])));
  }
  // Installing is a few requests per Application; in parallel lanes so a thousand take seconds.
  const lanes = 16;
  await Promise.all(
    Array.from({ length: lanes }, (_, lane) =>
      installSeedApplications(argocd, applications.filter((_, i) => i % lanes === lane), { timeoutMs: 300_000 }),
    ),
  );

  const taskQueue = `bench-${randomUUID()}`;
  const settings: ActivitySettings = {
    defaultRepository: repositoryUrl,
    localRepositories: true,
    configBranch: 'main',
    argocd: { baseUrl: sim.url, token, insecure: false },
    git: { cacheDir: join(root, 'worker-cache', 'repos') },
  };
  const workers: Array<{ worker: Worker; running: Promise<void>; connection: NativeConnection }> = [];
  const children: ChildProcess[] = [];
  const work = join(root, 'inspect');
  await exec('git', ['clone', '--quiet', '--no-checkout', repositoryUrl, work]);

  return {
    root,
    repositoryUrl,
    bare,
    sim,
    argocd,
    token,
    taskQueue,
    settings,
    pipeline: (app) => resolveAppPipeline(file, app),
    async startWorker(options = {}) {
      const connection = await NativeConnection.connect({ address: temporal.address });
      const worker = await createPromotionWorker({
        connection,
        client: temporal.client,
        namespace: 'default',
        taskQueue,
        activities: { ...settings, git: { ...settings.git, ...(options.gitEnv ? { env: options.gitEnv } : {}) } },
        workflowBundle: temporal.bundle,
      });
      workers.push({ worker, running: worker.run(), connection });
      return worker;
    },
    spawnWorker(extraEnv = {}) {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        PROMENADE_TASK_QUEUE: taskQueue,
        PROMENADE_REPOSITORY: repositoryUrl,
        PROMENADE_LOCAL_REPOSITORIES: '1',
        PROMENADE_CACHE_DIR: join(root, 'child-cache'),
        ARGOCD_SERVER: sim.url,
        ARGOCD_AUTH_TOKEN: token,
        ...extraEnv,
      };
      const child = spawn(process.execPath, [BIN, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (d) => process.env.PROMENADE_BENCH_VERBOSE && process.stderr.write(d));
      children.push(child);
      return child;
    },
    git: async (...args) => (await exec('git', ['-C', work, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout.trim(),
    async close() {
      for (const child of children) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      for (const { worker, running, connection } of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => {});
        await connection.close();
      }
      await sim.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Resident memory of a process in bytes, from /proc. */
export async function residentBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}
