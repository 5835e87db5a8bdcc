// `promenade bootstrap` against the real Argo CD, then the seed lab's checklist on what it built: namespaces,
// three apps synced and healthy, 1/2/3 pods, images differing by environment, dev auto-syncing on a push while
// staging and prod change only when asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/argocd/types.js';
import { seedDeployment } from '../../src/bootstrap/seed-layout.js';
import { bootstrap, createGitopsRepo, livePods, realLane, type GitopsRepo } from './environment.js';

const APP = 'myapp';
let repo: GitopsRepo;

beforeAll(async () => {
  repo = await createGitopsRepo();
});
afterAll(async () => repo?.cleanup());

async function app(name: string, refresh?: 'normal'): Promise<Application> {
  return (await realLane().client()).getApplication(name, { project: 'default', refresh });
}

async function waitApp(name: string, check: (a: Application) => boolean, what: string, timeoutMs = 60_000): Promise<Application> {
  const deadline = Date.now() + timeoutMs;
  let last: Application | undefined;
  for (;;) {
    last = await app(name);
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`${name}: ${what} not reached; last status ${JSON.stringify(last.status?.sync)} ${JSON.stringify(last.status?.health)} op=${JSON.stringify(last.operation)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const syncedHealthy = (a: Application, revision?: string) =>
  !a.operation && a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy' && (!revision || a.status.sync.revision === revision);

describe('promenade bootstrap and the seed lab checklist on a real Argo CD', () => {
  it('bootstrap lays out the repository and creates three synced, healthy Applications; a second run changes nothing', async () => {
    const first = await bootstrap(repo.url, APP);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^pushed [0-9a-f]{12} to main: /m);
    expect(first.stdout).toContain(`Argo CD: created ${APP}-dev, ${APP}-staging, ${APP}-prod (synced and healthy)`);
    const second = await bootstrap(repo.url, APP);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to change');
  });

  it('namespaces, 1/2/3 running pods and images differing by environment', async () => {
    const { kube } = realLane();
    for (const env of ['dev', 'staging', 'prod']) {
      expect(syncedHealthy(await app(`${APP}-${env}`))).toBe(true);
      expect((await kube.get('v1', 'Namespace', undefined, env))?.status?.phase).toBe('Active');
    }
    const expected = { dev: [1, 'nginx:1.19'], staging: [2, 'nginx:1.19'], prod: [3, 'nginx:latest'] } as const;
    for (const [env, [count, image]] of Object.entries(expected)) {
      const pods = await livePods(env, APP);
      expect(pods).toHaveLength(count);
      for (const pod of pods) {
        expect(pod.spec.nodeName).toBe('kwok-node-0');
        expect(pod.status.phase).toBe('Running');
        expect(pod.spec.containers[0].image).toBe(image);
      }
    }
  });

  it('dev auto-syncs a push; staging and prod only see it as OutOfSync until asked', async () => {
    await repo.commitFile(`dev/${APP}/deployment.yaml`, seedDeployment(APP, 'dev', 2, 'nginx:1.21'), 'dev: nginx 1.21, 2 replicas');
    const stagingSha = await repo.commitFile(`staging/${APP}/deployment.yaml`, seedDeployment(APP, 'staging', 2, 'nginx:1.21'), 'staging: nginx 1.21');
    // What a Git webhook does: ask Argo CD to look at the branch again now, not on its periodic reconcile.
    await app(`${APP}-dev`, 'normal');
    const dev = await waitApp(`${APP}-dev`, (a) => syncedHealthy(a, stagingSha) && a.status?.operationState?.syncResult?.revision === stagingSha, 'auto-sync to the push');
    expect(dev.status?.operationState?.operation?.initiatedBy).toMatchObject({ automated: true });
    await expect.poll(async () => (await livePods('dev', APP)).map((p) => p.spec.containers[0].image), { timeout: 30_000 }).toEqual(['nginx:1.21', 'nginx:1.21']);

    const staging = await app(`${APP}-staging`, 'normal');
    expect(staging.status?.sync).toMatchObject({ status: 'OutOfSync', revision: stagingSha });
    expect(staging.operation).toBeUndefined();
    expect((await livePods('staging', APP)).map((p) => p.spec.containers[0].image)).toEqual(['nginx:1.19', 'nginx:1.19']);
    // prod's path did not change: Synced on the new commit, and not deployed again.
    const prod = await app(`${APP}-prod`, 'normal');
    expect(prod.status?.sync).toMatchObject({ status: 'Synced', revision: stagingSha });
    expect(prod.status?.history).toHaveLength(1);

    await (await realLane().client()).sync(`${APP}-staging`, { project: 'default' });
    await waitApp(`${APP}-staging`, (a) => syncedHealthy(a, stagingSha) && a.status?.operationState?.phase === 'Succeeded', 'the requested sync');
    await expect.poll(async () => (await livePods('staging', APP)).map((p) => p.spec.containers[0].image), { timeout: 30_000 }).toEqual(['nginx:1.21', 'nginx:1.21']);
  });
});
