// The Argo CD client and the stage's syncAndWait / watchHealth against the real Argo CD, for everything that
// needs no fault injection: a manual sync, auto-sync after our refresh, someone else's operation in progress,
// a drift that self-heal repairs, the NDJSON watch, a wrong project, and 401/403/404 with an account token that
// argocd-rbac-cm limits to reading one app.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoCDApiError, ArgoCDClient, argocdConfigFromEnv, argocdFailure } from '../../src/argocd/client.js';
import { watchHealth } from '../../src/argocd/health-watch.js';
import { syncAndWait, type SyncAndWaitInput, type SyncProgress } from '../../src/argocd/sync-and-wait.js';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { LIMITED_ACCOUNT } from './global-setup.js';
import { bootstrap, createGitopsRepo, liveImage, realLane, syncedHealthy, waitApp, type GitopsRepo } from './environment.js';

const APP = 'lane-client';
const REPLICAS = { dev: 1, staging: 2, prod: 3 } as const;
type Env = keyof typeof REPLICAS;
let repo: GitopsRepo;
let client: ArgoCDClient;

function input(env: Env, revision: string, extra: Partial<SyncAndWaitInput> = {}): SyncAndWaitInput {
  return { application: `${APP}-${env}`, project: 'default', revision, promotionId: `lane-${env}-${revision.slice(0, 7)}`, stage: `${env}-promote`, timeoutMs: 90_000, ...extra };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const push = (env: Env, image: string) => repo.commitFile(`${env}/${APP}/deployment.yaml`, seedDeployment(APP, env, REPLICAS[env], image), `${env}: ${image}`);

beforeAll(async () => {
  repo = await createGitopsRepo();
  const boot = await bootstrap(repo.url, APP);
  expect(boot.code, boot.stderr).toBe(0);
  const l = realLane();
  // The worker's way: ARGOCD_SERVER as host:port with ARGOCD_PLAINTEXT, a session token in ARGOCD_AUTH_TOKEN.
  client = new ArgoCDClient(argocdConfigFromEnv({ ARGOCD_SERVER: l.url.replace(/^http:\/\//, ''), ARGOCD_PLAINTEXT: 'true', ARGOCD_AUTH_TOKEN: await l.adminToken() }));
});
afterAll(async () => repo?.cleanup());

describe('syncAndWait and watchHealth against a real Argo CD', () => {
  it('manual app: syncs our commit and waits until the new image is live, Synced and Healthy', async () => {
    const sha = await push('staging', 'nginx:1.21');
    const r = await syncAndWait(client, input('staging', sha));
    expect(r).toMatchObject({ revision: sha, deployedRevision: sha, health: 'Healthy', syncRequested: true, autoSync: false, superseded: false });
    expect(await liveImage('staging', APP)).toBe('nginx:1.21');
    const app = await client.getApplication(`${APP}-staging`, { project: 'default' });
    expect(app.status?.operationState?.operation?.info).toEqual(expect.arrayContaining([expect.objectContaining({ value: input('staging', sha).promotionId })]));
  });

  it('auto-sync app: our refresh makes auto-sync deploy our commit; we never sync ourselves', async () => {
    const sha = await push('dev', 'nginx:1.21');
    const r = await syncAndWait(client, input('dev', sha));
    expect(r).toMatchObject({ deployedRevision: sha, health: 'Healthy', syncRequested: false, autoSync: true });
    const app = await client.getApplication(`${APP}-dev`, { project: 'default' });
    expect(app.status?.operationState?.operation?.initiatedBy).toMatchObject({ automated: true });
  });

  it("race 2: waits out someone else's operation, then syncs ours", async () => {
    const sha = await push('prod', 'nginx:1.22');
    // Someone else syncs prod a moment before us (to the branch head, as `argocd app sync` does).
    const foreign = await fetch(`${realLane().url}/api/v1/applications/${APP}-prod/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await realLane().adminToken()}` },
      body: JSON.stringify({ infos: [{ name: 'by', value: 'someone-else' }] }),
    });
    expect(foreign.status).toBe(200);
    const progress: SyncProgress[] = [];
    const r = await syncAndWait(client, input('prod', sha, { onProgress: (p) => progress.push(p) }));
    expect(r).toMatchObject({ deployedRevision: sha, health: 'Healthy' });
    // The foreign operation was seen and waited out, not mistaken for ours.
    expect(progress.some((p) => /another|someone|not ours|foreign|in progress/i.test(`${p.decision} ${p.reason}`))).toBe(true);
    const app = await client.getApplication(`${APP}-prod`, { project: 'default' });
    expect(app.status?.history?.length).toBeGreaterThanOrEqual(3);
  });

  it('a drift on the self-healing dev app is repaired by Argo CD, and a quiet soak then reads Healthy', async () => {
    const before = await client.getApplication(`${APP}-dev`, { project: 'default' });
    await realLane().kube.mergePatch('apps/v1', 'Deployment', 'dev', APP, { spec: { replicas: 3 } });
    const healed = await waitApp(
      `${APP}-dev`,
      (a) => syncedHealthy(a) && (a.status?.operationState?.startedAt ?? '') > (before.status?.operationState?.startedAt ?? ''),
      'self-heal of the drift',
    );
    expect(healed.status?.operationState?.operation?.initiatedBy).toMatchObject({ automated: true });
    // Self-heal re-applies the revision of dev's last comparison; sync.revision may since have moved to a newer
    // head (other tests of this file push), with dev still Synced because its path did not change.
    expect(healed.status?.operationState?.syncResult?.revision).toMatch(/^[0-9a-f]{40}$/);
    const revision = healed.status!.sync!.revision!;
    await expect.poll(async () => (await realLane().kube.get('apps/v1', 'Deployment', 'dev', APP))?.spec?.replicas, { timeout: 30_000 }).toBe(1);
    const soak = await watchHealth(client, { application: `${APP}-dev`, project: 'default', revision, durationMs: 2_000 });
    expect(soak).toMatchObject({ finalHealth: 'Healthy', superseded: false });
  });

  it('the watch stream starts with the current state as ADDED', async () => {
    const abort = new AbortController();
    const events: string[] = [];
    for await (const event of client.watchApplication(`${APP}-staging`, { project: 'default', signal: abort.signal })) {
      events.push(`${event.type} ${event.application.metadata.name}`);
      abort.abort();
      break;
    }
    expect(events).toEqual([`ADDED ${APP}-staging`]);
  });

  it('a wrong project is a terminal ArgoCDAccessDenied naming the app (race 7)', async () => {
    const sha = (await client.getApplication(`${APP}-staging`, { project: 'default' })).status!.sync!.revision!;
    const f = await failureOf(syncAndWait(client, input('staging', sha, { project: 'payments' })));
    expect(f.type).toBe('ArgoCDAccessDenied');
    expect(f.message).toMatch(new RegExp(`${APP}-staging`));
  });
});

describe('401/403/404 with an account token limited by argocd-rbac-cm', () => {
  let limited: ArgoCDClient;
  beforeAll(async () => {
    const l = realLane();
    // An account token, made by the admin through Argo CD's account API; the policy is in global-setup.ts.
    const res = await fetch(`${l.url}/api/v1/account/${LIMITED_ACCOUNT}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await l.adminToken()}` },
      body: JSON.stringify({ name: 'lane' }),
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    limited = new ArgoCDClient({ baseUrl: l.url, token, insecure: false, maxTries: 1 });
    await client.createApplication(
      {
        metadata: { name: 'rbac-readable', namespace: 'argocd' },
        spec: { project: 'default', source: { repoURL: repo.url, targetRevision: 'main', path: `staging/${APP}` }, destination: { server: 'https://kubernetes.default.svc', namespace: 'rbac' } },
      } as never,
      { upsert: true },
    );
  });

  async function apiError(p: Promise<unknown>): Promise<ArgoCDApiError> {
    const err = await p.then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(ArgoCDApiError);
    return err as ArgoCDApiError;
  }

  it('the limited token reads the one app it may read', async () => {
    expect((await limited.getApplication('rbac-readable', { project: 'default' })).metadata.name).toBe('rbac-readable');
  });

  it('401: an invalid token; a terminal ArgoCDAccessDenied for the stage', async () => {
    const bad = new ArgoCDClient({ baseUrl: realLane().url, token: 'not-a-token', insecure: false, maxTries: 1 });
    const e = await apiError(bad.getApplication('rbac-readable', { project: 'default' }));
    expect(e.status).toBe(401);
    expect(e.grpcCode).toBe(16);
    expect(e.message).not.toContain('not-a-token');
    expect((argocdFailure(e) as ApplicationFailure).type).toBe('ArgoCDAccessDenied');
  });

  it('403: syncing an app it may only read, or reading another app', async () => {
    const sync = await apiError(limited.sync('rbac-readable', { project: 'default' }));
    expect(sync.status).toBe(403);
    expect(sync.grpcCode).toBe(7);
    expect(sync.argoMessage).toMatch(/^permission denied/);
    const other = await apiError(limited.getApplication(`${APP}-staging`, { project: 'default' }));
    expect(other.status).toBe(403);
    expect((argocdFailure(other) as ApplicationFailure).type).toBe('ArgoCDAccessDenied');
  });

  it('404: a missing app asked for with its project, by a token with access to that project', async () => {
    const e = await apiError(client.getApplication('no-such-app', { project: 'default' }));
    expect(e.status).toBe(404);
    expect(e.grpcCode).toBe(5);
    expect(e.argoMessage).toBe('applications.argoproj.io "no-such-app" not found');
    expect((argocdFailure(e) as ApplicationFailure).type).toBe('ArgoCDAccessDenied');
    // Without access to the app, missing looks like forbidden (anti-enumeration).
    expect((await apiError(limited.getApplication('no-such-app', { project: 'default' }))).status).toBe(403);
  });

  it('a stage run with the limited token ends at once as terminal ArgoCDAccessDenied', async () => {
    const sha = (await client.getApplication(`${APP}-staging`, { project: 'default' })).status!.sync!.revision!;
    const f = await failureOf(syncAndWait(limited, input('staging', sha)));
    expect(f.type).toBe('ArgoCDAccessDenied');
  });
});
