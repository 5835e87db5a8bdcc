import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, settled, sleep, startLab } from './seed-lab.js';

describe('seed lab: dev -> staging -> prod', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(() => lab.close());

  it('auto-syncs dev, leaves staging and prod OutOfSync until asked', async () => {
    const { client, repo } = lab;
    const head = repo.head();
    await client.waitSyncedHealthy('myapp-dev', head);
    const staging = await client.waitFor('myapp-staging', (a) => a.status.sync?.status === 'OutOfSync', 5000);
    expect(staging.status.sync.revision).toBe(head);
    expect(staging.status.health.status).toBe('Missing');
    expect(staging.status.operationState).toBeUndefined();
    const prod = (await client.app('myapp-prod')).body;
    expect(prod.status.sync.status).toBe('OutOfSync');
    expect(lab.sim.cluster().namespaces).toEqual(['dev']);
  });

  it('syncs staging and prod on request: namespaces, pods and per-env images', async () => {
    const { client, sim } = lab;
    for (const env of ['staging', 'prod']) {
      const r = await client.sync(`myapp-${env}`);
      expect(r.status).toBe(200);
    }
    await client.waitSyncedHealthy('myapp-staging');
    await client.waitSyncedHealthy('myapp-prod');
    const cluster = sim.cluster() as any;
    expect(cluster.namespaces).toEqual(['dev', 'prod', 'staging']);
    const byNs = (ns: string) => cluster.pods.filter((p: any) => p.namespace === ns);
    expect(byNs('dev')).toHaveLength(1);
    expect(byNs('staging')).toHaveLength(2);
    expect(byNs('prod')).toHaveLength(3);
    for (const p of cluster.pods) expect(p).toMatchObject({ ready: true, phase: 'Running' });
    expect(byNs('dev')[0].image).toBe('nginx:1.19');
    expect(byNs('staging')[0].image).toBe('nginx:1.19');
    expect(byNs('prod')[0].image).toBe('nginx:latest');
    const list = await client.call('GET', '/api/v1/applications');
    expect(list.body.items.map((a: any) => [a.metadata.name, a.status.sync.status, a.status.health.status])).toEqual([
      ['myapp-dev', 'Synced', 'Healthy'],
      ['myapp-prod', 'Synced', 'Healthy'],
      ['myapp-staging', 'Synced', 'Healthy'],
    ]);
  });

  it('rolls dev forward on a push, while staging only goes OutOfSync', async () => {
    const { client, repo, sim } = lab;
    repo.write('dev/myapp/deployment.yaml', deployment('dev', 2, 'nginx:1.21'));
    const sha = repo.push('dev: nginx 1.21, 2 replicas');
    const dev = await client.waitSyncedHealthy('myapp-dev', sha, 10_000);
    expect(dev.status.operationState.syncResult.revision).toBe(sha);
    expect(dev.status.operationState.operation.initiatedBy).toEqual({ automated: true });
    expect(dev.status.history.map((h: any) => h.id)).toEqual([0, 1]);
    const devPods = (sim.cluster() as any).pods.filter((p: any) => p.namespace === 'dev');
    expect(devPods.map((p: any) => p.image)).toEqual(['nginx:1.21', 'nginx:1.21']);

    const staging = await client.waitFor('myapp-staging', (a) => a.status.sync.revision === sha, 5000);
    // Its own path did not change, so staging stays Synced on the new commit and is not re-deployed.
    expect(staging.status.sync.status).toBe('Synced');
    expect(staging.status.history).toHaveLength(1);
    await sleep(600);
    expect((await client.app('myapp-staging')).body.status.history).toHaveLength(1);
    expect(settled((await client.app('myapp-staging')).body)).toBe(true);
  });

  it('promotes to staging only when asked, then it runs the new image', async () => {
    const { client, repo, sim } = lab;
    repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:1.21'));
    const sha = repo.push('promote 1.21 to staging');
    const stale = await client.app('myapp-staging', '?refresh=normal');
    expect(stale.status).toBe(200);
    expect(stale.body.status.sync).toMatchObject({ status: 'OutOfSync', revision: sha });
    await sleep(700);
    expect((await client.app('myapp-staging')).body.status.sync.status).toBe('OutOfSync');
    const images = () => (sim.cluster() as any).pods.filter((p: any) => p.namespace === 'staging').map((p: any) => p.image);
    expect(images()).toEqual(['nginx:1.19', 'nginx:1.19']);
    expect((await client.sync('myapp-staging', { revision: 'main' })).status).toBe(200);
    await client.waitSyncedHealthy('myapp-staging', sha);
    expect(images()).toEqual(['nginx:1.21', 'nginx:1.21']);
  });
});
