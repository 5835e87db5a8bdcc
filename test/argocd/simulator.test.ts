// syncAndWait and watchHealth against the Argo CD simulator reading a real git repository (bare remote +
// working clone), seeded like the lab: dev auto-syncs, staging and prod sync on request.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { startArgoCDSimulator, type ArgoCDSimulator } from '../../src/argocd-sim/index.js';
import { ArgoCDClient, argocdConfigFromEnv } from '../../src/argocd/client.js';
import { syncAndWait, type SyncAndWaitInput } from '../../src/argocd/sync-and-wait.js';
import { watchHealth } from '../../src/argocd/health-watch.js';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';

const REPO_URL = 'https://github.com/example/gitops-repo';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();
}

function deployment(env: string, replicas: number, image: string): string {
  return seedDeployment('myapp', env, replicas, image);
}

const REPLICAS = { dev: 1, staging: 2, prod: 3 } as const;
type Env = keyof typeof REPLICAS;

let root: string;
let work: string;
let sim: ArgoCDSimulator;
let client: ArgoCDClient;

/** Commits a new image for one environment and pushes it, as the git stage does; returns the SHA. */
function promote(env: Env, image: string): string {
  const file = join(work, env, 'myapp', 'deployment.yaml');
  writeFileSync(file, deployment(env, REPLICAS[env], image));
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', `${env}: ${image}`);
  git(work, 'push', '-q', 'origin', 'main');
  return git(work, 'rev-parse', 'HEAD');
}

function app(env: Env) {
  return {
    metadata: { name: `myapp-${env}`, namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: REPO_URL, targetRevision: 'main', path: `${env}/myapp` },
      destination: { server: 'https://kubernetes.default.svc', namespace: env },
      syncPolicy:
        env === 'dev'
          ? { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] }
          : { syncOptions: ['CreateNamespace=true'] },
    },
  };
}

let seq = 0;
function input(env: Env, revision: string, over: Partial<SyncAndWaitInput> = {}): SyncAndWaitInput {
  seq++;
  return {
    application: `myapp-${env}`,
    project: 'default',
    revision,
    promotionId: `promo-${seq}`,
    stage: env === 'prod' ? 'prod-promote' : env === 'staging' ? 'staging-promote' : 'dev-sync',
    timeoutMs: 20_000,
    tuning: { autoSyncGraceMs: 3_000 },
    ...over,
  };
}

function liveImages(env: Env): string[] {
  const snap = sim.cluster() as { deployments: Array<{ namespace: string; name: string; images: string[] }> };
  return snap.deployments.find((d) => d.namespace === env && d.name === 'myapp')?.images ?? [];
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'promenade-argocd-'));
  const remote = join(root, 'gitops-repo.git');
  work = join(root, 'gitops-repo');
  git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  git(root, 'clone', '-q', remote, work);
  git(work, 'checkout', '-q', '-B', 'main');
  for (const env of ['dev', 'staging', 'prod'] as const) {
    mkdirSync(dirname(join(work, env, 'myapp', 'deployment.yaml')), { recursive: true });
    writeFileSync(join(work, env, 'myapp', 'deployment.yaml'), deployment(env, REPLICAS[env], env === 'prod' ? 'nginx:latest' : 'nginx:1.19'));
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'Initial GitOps structure');
  git(work, 'push', '-q', '-u', 'origin', 'main');

  sim = await startArgoCDSimulator({
    port: 0,
    // Long enough that only our refresh can make Argo CD see a push within a test.
    reconcileIntervalMs: 120_000,
    rolloutStepMs: 50,
    progressDeadlineMs: 1_500,
    operationDelayMs: 100,
    syncDurationMs: 150,
    postOperationRefreshMs: 200,
    selfHealTimeoutMs: 300,
    refreshTimeoutMs: 5_000,
    repositories: { [REPO_URL]: remote },
    applications: (['dev', 'staging', 'prod'] as const).map(app),
  });
  // Log in as a real client would, then use the token the way the worker does: from the environment.
  const login = await fetch(`${sim.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin' }),
  });
  const { token } = (await login.json()) as { token: string };
  client = new ArgoCDClient(argocdConfigFromEnv({ ARGOCD_SERVER: sim.url.replace(/^http:\/\//, ''), ARGOCD_PLAINTEXT: 'true', ARGOCD_AUTH_TOKEN: token }));

  // Bring the manual apps to the initial commit so later tests start from a deployed state.
  const initial = git(work, 'rev-parse', 'HEAD');
  for (const env of ['staging', 'prod'] as const) await syncAndWait(client, input(env, initial));
  await syncAndWait(client, input('dev', initial));
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  sim.faults.reset();
});

describe('syncAndWait against the simulator', () => {
  it('manual app: syncs our commit and waits until the new image is live, Synced and Healthy, in at most 10 requests', async () => {
    const sha = promote('staging', 'nginx:1.20');
    const before = client.requests;
    const r = await syncAndWait(client, input('staging', sha));
    expect(r).toMatchObject({ revision: sha, health: 'Healthy', syncRequested: true, autoSync: false, superseded: false });
    expect(r.requests).toBe(client.requests - before);
    expect(r.requests).toBeLessThanOrEqual(10);
    expect(liveImages('staging')).toEqual(['nginx:1.20']);
    const now = await client.getApplication('myapp-staging', { project: 'default' });
    expect(now.status?.sync).toMatchObject({ status: 'Synced', revision: sha });
    expect(now.status?.operationState?.operation?.info).toContainEqual({ name: 'promenade.promotion', value: `promo-${seq}` });
  });

  it('auto-sync app: our refresh makes auto-sync deploy our commit; we never sync ourselves', async () => {
    const sha = promote('dev', 'nginx:1.21');
    const r = await syncAndWait(client, input('dev', sha));
    expect(r).toMatchObject({ revision: sha, health: 'Healthy', syncRequested: false, autoSync: true });
    expect(r.requests).toBeLessThanOrEqual(10);
    expect(liveImages('dev')).toEqual(['nginx:1.21']);
    const now = await client.getApplication('myapp-dev', { project: 'default' });
    expect(now.status?.operationState?.operation?.initiatedBy?.automated).toBe(true);
  });

  it('a failing image ends as terminal Degraded naming the app', async () => {
    sim.faults.failImages('nginx:broken*', 'crash');
    const sha = promote('staging', 'nginx:broken-1');
    const f = await failureOf(syncAndWait(client, input('staging', sha)));
    expect(f.type).toBe('Degraded');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/myapp-staging is Degraded after syncing revision/);
    // Put staging back on a good image for the next tests.
    sim.faults.reset();
    const fix = promote('staging', 'nginx:1.20');
    await syncAndWait(client, input('staging', fix));
  });

  it('an injected sync failure ends as terminal SyncFailed', async () => {
    sim.faults.failNextSyncs('myapp-prod', 1, 'one or more objects failed to apply, reason: admission webhook denied the request');
    const sha = promote('prod', 'nginx:1.20');
    const f = await failureOf(syncAndWait(client, input('prod', sha)));
    expect(f.type).toBe('SyncFailed');
    expect(f.message).toMatch(/admission webhook denied/);
    // A retried stage (new promotion id for clarity) syncs again and succeeds.
    const r = await syncAndWait(client, input('prod', sha));
    expect(r.health).toBe('Healthy');
  });

  it("#another-operation-in-progress: waits out someone else's operation, then syncs ours", async () => {
    const sha = promote('prod', 'nginx:1.22');
    await sim.faults.startForeignOperation({ app: 'myapp-prod', username: 'alice', holdMs: 800, revision: 'main' });
    const r = await syncAndWait(client, input('prod', sha));
    expect(r.health).toBe('Healthy');
    expect(liveImages('prod')).toEqual(['nginx:1.22']);
    expect(r.requests).toBeLessThanOrEqual(10);
  });

  it('#retrying-is-not-final: a failed auto-sync attempt waiting for its retry is waited out, not reported as a failure', async () => {
    sim.faults.failNextSyncs('myapp-dev', 1, 'one or more objects failed to apply, reason: etcdserver: request timed out');
    const sha = promote('dev', 'nginx:1.23');
    const reasons: string[] = [];
    const r = await syncAndWait(client, input('dev', sha, { onProgress: (p) => reasons.push(p.reason) }));
    expect(r).toMatchObject({ revision: sha, health: 'Healthy', syncRequested: false });
    // The injected failure was consumed by auto-sync's first attempt, and we saw the retry pending.
    expect(sim.faults.snapshot().failNextSyncs).toEqual({});
    expect(reasons.join('\n')).toMatch(/waits for a retry/);
    expect(liveImages('dev')).toEqual(['nginx:1.23']);
  });

  it('a flaky API (25% 503s): activity retries with the heartbeated resume state finish the stage with one sync', async () => {
    const sha = promote('staging', 'nginx:1.24');
    sim.faults.setHttpFaults({ errorRate: 0.25, errorStatus: 503, latencyMs: 10 });
    const base = input('staging', sha);
    let resumeState: SyncAndWaitInput['resumeState'];
    let result: Awaited<ReturnType<typeof syncAndWait>> | undefined;
    for (let attempt = 1; attempt <= 8 && !result; attempt++) {
      try {
        result = await syncAndWait(client, { ...base, resumeState, onProgress: (p) => (resumeState = p) });
      } catch (err) {
        // Only what the activity retry policy would retry.
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect((err as ApplicationFailure).nonRetryable).toBe(false);
      }
    }
    sim.faults.setHttpFaults({});
    expect(result).toMatchObject({ revision: sha, health: 'Healthy' });
    expect(liveImages('staging')).toEqual(['nginx:1.24']);
    const app = await client.getApplication('myapp-staging', { project: 'default' });
    const ours = (app.status?.history ?? []).filter((h) => h.revision === sha);
    expect(ours).toHaveLength(1);
  });

  it('#branch-moved-on: on auto-sync, a second push lands before ours deploys; the later head supersedes ours, proven by git', async () => {
    const first = promote('dev', 'nginx:1.25');
    const second = promote('dev', 'nginx:1.26');
    const isAncestor = async (head: string, rev: string) => {
      try {
        git(work, 'merge-base', '--is-ancestor', rev, head);
        return true;
      } catch {
        return false;
      }
    };
    const r = await syncAndWait(client, input('dev', first, { headContainsRevision: isAncestor }));
    expect(r).toMatchObject({ revision: first, deployedRevision: second, superseded: true, health: 'Healthy' });
    expect(liveImages('dev')).toEqual(['nginx:1.26']);
  });

  it('#missing-looks-forbidden: a wrong project is a terminal ArgoCDAccessDenied, not a hang', async () => {
    const f = await failureOf(syncAndWait(client, input('staging', git(work, 'rev-parse', 'HEAD'), { project: 'payments' })));
    expect(f.type).toBe('ArgoCDAccessDenied');
    expect(f.message).toMatch(/myapp-staging/);
  });
});

describe('watchHealth against the simulator', () => {
  it('a quiet soak returns a Healthy summary', async () => {
    const rev = (await client.getApplication('myapp-staging', { project: 'default' })).status!.sync!.revision!;
    const s = await watchHealth(client, { application: 'myapp-staging', project: 'default', revision: rev, durationMs: 1_000 });
    expect(s).toMatchObject({ finalHealth: 'Healthy', superseded: false });
    expect(s.requests).toBeLessThanOrEqual(4);
  });

  it('a crash after the rollout fails the soak as terminal Degraded', async () => {
    const rev = (await client.getApplication('myapp-staging', { project: 'default' })).status!.sync!.revision!;
    sim.faults.degrade('myapp-staging', { afterMs: 200, mode: 'crash' });
    const f = await failureOf(watchHealth(client, { application: 'myapp-staging', project: 'default', revision: rev, durationMs: 15_000 }));
    expect(f.type).toBe('Degraded');
    expect(f.message).toMatch(/myapp-staging became Degraded/);
    sim.faults.recover('myapp-staging');
  });
});
