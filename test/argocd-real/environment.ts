// A promotion environment against the lane's real Argo CD: a bare GitOps repository laid out by
// `promenade bootstrap` (which also creates the three Applications), and a worker configured the way a user
// configures one (settingsFromEnv with ARGOCD_SERVER and ARGOCD_AUTH_TOKEN from the session API). Each test
// file uses an app name of its own, so files share the one Argo CD without touching each other's objects.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { settingsFromEnv, type ActivitySettings } from '../../src/activities/index.js';
import { startPromotion } from '../../src/client/start-promotion.js';
import type { PromotionInput } from '../../src/config/promotion-input.js';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';
import { KubeApi } from '../../src/stack/argocd-real/kube.js';
import type { Application } from '../../src/argocd/types.js';
import { argocdSessionToken, installSeedApplications } from '../../src/stack/seed-applications.js';
import { seedApplications } from '../../src/bootstrap/seed-layout.js';
import { statusQuery } from '../../src/workflows/messages.js';
import { createPromotionWorker } from '../../src/worker.js';
import { runCli, type CliRun } from '../cli/run-cli.js';
import { workflowBundle } from '../support/promotion-environment.js';

const exec = promisify(execFile);

export interface Lane {
  url: string;
  adminPassword: string;
  kube: KubeApi;
  adminToken(): Promise<string>;
  /** An admin client as a user's worker would build it. */
  client(): Promise<ArgoCDClient>;
}

let lane: Lane | undefined;
export function realLane(): Lane {
  if (lane) return lane;
  const url = inject('argocdRealUrl');
  const adminPassword = inject('argocdRealAdminPassword');
  const k = inject('argocdRealKube');
  let token: Promise<string> | undefined;
  const adminToken = () => (token ??= argocdSessionToken(url, 'admin', adminPassword));
  lane = {
    url,
    adminPassword,
    kube: new KubeApi(k.server, k.token, k.ca),
    adminToken,
    client: async () => new ArgoCDClient({ baseUrl: url, token: await adminToken(), insecure: false }),
  };
  return lane;
}

/** The lab's pipeline for one app, with a test-sized gate before prod and a short soak. */
export function lanePipeline(app: string, soak = '5s'): string {
  return `apps:
  ${app}:
    environments:
      - dev
      - staging
      - name: prod
        approval: { approvers: [alice, bob, carol], required: 2, timeout: 120s }
        soak: ${soak}
`;
}

export interface GitopsRepo {
  root: string;
  url: string;
  git(...args: string[]): Promise<string>;
  /** Pulls, writes, commits and pushes one file; returns the new SHA. */
  commitFile(path: string, content: string, message: string): Promise<string>;
  read(path: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** An empty bare repository with a working clone (the "remote" Argo CD reads through file://). */
export async function createGitopsRepo(): Promise<GitopsRepo> {
  const root = await mkdtemp(join(tmpdir(), 'promenade-lane-'));
  const bare = join(root, 'gitops.git');
  const work = join(root, 'work');
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const url = `file://${bare}`;
  const git = async (...args: string[]) => (await exec('git', ['-C', work, '-c', 'user.name=tester', '-c', 'user.email=tester@example.com', ...args])).stdout.trim();
  let cloned = false;
  const ensureClone = async () => {
    if (cloned) return;
    await exec('git', ['clone', '--quiet', url, work]);
    cloned = true;
  };
  return {
    root,
    url,
    git: async (...args) => (await ensureClone(), git(...args)),
    async commitFile(path, content, message) {
      await ensureClone();
      await git('pull', '--quiet', '--rebase', 'origin', 'main').catch(() => {});
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
      await git('add', path);
      await git('commit', '--quiet', '-m', message);
      await git('push', '--quiet', 'origin', 'HEAD:main');
      return git('rev-parse', 'HEAD');
    },
    async read(path) {
      return (await exec('git', ['--git-dir', bare, 'show', `main:${path}`])).stdout;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** `promenade bootstrap` as a user runs it, against the lane's Argo CD with an admin session token. */
export async function bootstrap(repoUrl: string, app: string, token?: string): Promise<CliRun> {
  const l = realLane();
  return runCli(['bootstrap', '--repo', repoUrl, '--app', app], {
    ...process.env,
    ARGOCD_SERVER: l.url,
    ARGOCD_AUTH_TOKEN: token ?? (await l.adminToken()),
  });
}

/** The image of a live Deployment's first container, read from the Kubernetes API. */
export async function liveImage(namespace: string, name: string): Promise<string | undefined> {
  const d = await realLane().kube.get('apps/v1', 'Deployment', namespace, name);
  return d?.spec?.template?.spec?.containers?.[0]?.image;
}

export async function livePods(namespace: string, app: string): Promise<any[]> {
  const pods = await realLane().kube.list('v1', 'Pod', namespace, `app=${app}`);
  return pods.filter((p) => !p.metadata.deletionTimestamp);
}

let runtimeInstalled = false;

export interface RealPromotionEnvironment {
  app: string;
  repo: GitopsRepo;
  client: Client;
  taskQueue: string;
  settings: ActivitySettings;
  argocd: ArgoCDClient;
  promote(input: Omit<PromotionInput, 'requestedBy' | 'app'> & { requestedBy?: string }): ReturnType<typeof startPromotion>;
  waitForState(workflowId: string, states: PromotionStatus['state'][], timeoutMs?: number): Promise<PromotionStatus>;
  close(): Promise<void>;
}

/**
 * Bootstraps `app` in a fresh repository against the real Argo CD, commits the lane's pipeline (and whatever
 * `prepare` adds), and runs a worker for it in this process on a task queue of its own.
 */
export interface RealEnvironmentOptions {
  /** Runs after bootstrap and before the worker starts (commit extra manifests, say). */
  prepare?: (repo: GitopsRepo) => Promise<void>;
  /** Lays out the repository instead of `promenade bootstrap`; the three Applications then come from the API. */
  layout?: (repo: GitopsRepo) => Promise<void>;
  pipeline?: string;
}

export async function createRealPromotionEnvironment(app: string, options: RealEnvironmentOptions = {}): Promise<RealPromotionEnvironment> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({ logger: new DefaultLogger(process.env.PROMENADE_TEST_VERBOSE ? 'INFO' : 'ERROR') });
  }
  const l = realLane();
  const repo = await createGitopsRepo();
  if (options.layout) {
    await options.layout(repo);
    await installSeedApplications(await l.client(), seedApplications(repo.url, app) as unknown as Application[]);
  } else {
    const boot = await bootstrap(repo.url, app);
    if (boot.code !== 0) throw new Error(`promenade bootstrap failed (${boot.code}): ${boot.stderr}${boot.stdout}`);
  }
  await repo.commitFile('promenade.yaml', options.pipeline ?? lanePipeline(app), 'Lane pipeline');
  await options.prepare?.(repo);

  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `lane-${app}-${randomUUID()}`;
  const settings = settingsFromEnv({
    ARGOCD_SERVER: l.url,
    ARGOCD_AUTH_TOKEN: await l.adminToken(),
    PROMENADE_REPOSITORY: repo.url,
    // The lane's GitOps repository is a local bare repository, which a worker serves only when told to.
    PROMENADE_LOCAL_REPOSITORIES: '1',
    PROMENADE_CACHE_DIR: join(repo.root, 'worker-cache'),
  });
  const workerConnection = await NativeConnection.connect({ address });
  const worker: Worker = await createPromotionWorker({ connection: workerConnection, client, namespace: 'default', taskQueue, activities: settings, workflowBundle: await workflowBundle() });
  const running = worker.run();

  return {
    app,
    repo,
    client,
    taskQueue,
    settings,
    argocd: await l.client(),
    promote(input) {
      return startPromotion(client, { requestedBy: 'ci-bot', app, ...input }, { taskQueue, workflowId: `lane-${app}-${randomUUID()}` });
    },
    async waitForState(workflowId, states, timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      let last: PromotionStatus | undefined;
      for (;;) {
        try {
          last = await client.workflow.getHandle(workflowId).query(statusQuery);
          if (states.includes(last.state)) return last;
        } catch {
          /* not started yet */
        }
        if (Date.now() > deadline) throw new Error(`promotion ${workflowId} did not reach ${states.join('|')}; last: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await workerConnection.close();
      await connection.close();
      await repo.cleanup();
    },
  };
}

/** Commits on main that carry a promenade trailer for one promotion, oldest first. */
export async function promotionCommits(repo: GitopsRepo, promotionId: string): Promise<Array<{ sha: string; stage: string; body: string }>> {
  await repo.git('fetch', '--quiet', 'origin');
  const out = await repo.git('log', '--reverse', '--format=%H%x1f%(trailers:key=Promenade-Stage,valueonly)%x1f%B%x1e', `--grep=Promenade-Promotion: ${promotionId}`, '--fixed-strings', 'origin/main');
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha, stage, body] = r.split('\x1f');
      return { sha: sha!, stage: stage!.trim(), body: body! };
    });
}

/** Polls the app until `check` holds (argocd app wait, in a test's words). */
export async function waitApp(name: string, check: (a: Application) => boolean, what: string, timeoutMs = 90_000) {
  const client = await realLane().client();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await client.getApplication(name, { project: 'default' });
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`${name}: ${what} not reached; last ${JSON.stringify({ sync: last.status?.sync?.status, health: last.status?.health, op: last.operation, phase: last.status?.operationState?.phase })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const syncedHealthy = (a: Application) =>
  !a.operation && a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';
