import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArgoCDSimulator } from '../../src/argocd-sim/index.js';
import { deployment, settled, sleep, startLab } from './seed-lab.js';

const deploymentHealth = (app: any) => app.status.resources?.find((r: any) => r.kind === 'Deployment')?.health;

describe('run-time faults', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  let admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
  beforeAll(async () => {
    lab = await startLab({ progressDeadlineMs: 1000 });
    admin = async (method, path, body) => {
      const res = await fetch(`${lab.sim.adminUrl}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    await lab.client.waitSyncedHealthy('myapp-dev');
  });
  afterAll(() => lab.close());

  it('a failing image syncs fine, then the app turns Degraded at the progress deadline', async () => {
    const { client, repo, sim } = lab;
    const set = await admin('POST', '/faults/images', { pattern: 'nginx:9.*', mode: 'pull' });
    expect(set.status).toBe(200);
    expect(set.body.imageFailures).toEqual([{ pattern: 'nginx:9.*', mode: 'pull' }]);
    repo.write('staging/myapp/deployment.yaml', deployment('staging', 2, 'nginx:9.9'));
    const sha = repo.push('staging: broken image');
    expect((await client.sync('myapp-staging')).status).toBe(200);
    const succeeded = await client.waitFor('myapp-staging', (a) => settled(a) && a.status.operationState?.phase === 'Succeeded', 5000);
    expect(succeeded.status.operationState.syncResult.revision).toBe(sha);
    expect(succeeded.status.sync.status, JSON.stringify(succeeded.status)).toBe('Synced');
    expect(succeeded.status.health.status).toBe('Progressing');
    const degraded = await client.waitFor('myapp-staging', (a) => a.status.health.status === 'Degraded', 5000);
    expect(deploymentHealth(degraded)).toEqual({ status: 'Degraded', message: 'Deployment "myapp" exceeded its progress deadline' });
    const cluster = (await admin('GET', '/cluster')).body;
    const pods = cluster.pods.filter((p: any) => p.namespace === 'staging' && p.image === 'nginx:9.9');
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) expect(p).toMatchObject({ ready: false, phase: 'Pending', reason: 'ImagePullBackOff' });
    const dep = cluster.deployments.find((d: any) => d.namespace === 'staging');
    expect(dep.status.conditions.find((c: any) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });

    await admin('DELETE', '/faults/images', {});
    await client.waitFor('myapp-staging', (a) => a.status.health.status === 'Healthy', 5000);
  });

  it('degrades a healthy app later, and it recovers', async () => {
    const { client, sim } = lab;
    await client.waitSyncedHealthy('myapp-dev');
    sim.faults.degrade('myapp-dev', { afterMs: 700 });
    await sleep(200);
    expect((await client.app('myapp-dev')).body.status.health.status).toBe('Healthy');
    await client.waitFor('myapp-dev', (a) => a.status.health.status === 'Progressing', 3000);
    const degraded = await client.waitFor('myapp-dev', (a) => a.status.health.status === 'Degraded', 5000);
    expect(degraded.status.sync.status).toBe('Synced');
    const pod = (sim.cluster() as any).pods.find((p: any) => p.namespace === 'dev');
    expect(pod).toMatchObject({ ready: false, reason: 'CrashLoopBackOff' });
    sim.faults.recover('myapp-dev');
    await client.waitFor('myapp-dev', (a) => a.status.health.status === 'Healthy', 3000);
  });

  it('self-heals drift on the auto-sync app; the manual app just reports OutOfSync', async () => {
    const { client, sim } = lab;
    const before = (await client.app('myapp-dev')).body.status.history.length;
    const drift = await admin('POST', '/faults/drift', { app: 'myapp-dev', replicas: 4, image: 'nginx:evil' });
    expect(drift.status).toBe(200);
    const dev = () => (sim.cluster() as any).deployments.find((d: any) => d.namespace === 'dev');
    expect(dev()).toMatchObject({ replicas: 4, images: ['nginx:evil'] });
    await client.waitFor('myapp-dev', (a) => a.status.sync.status === 'OutOfSync', 3000);
    const healed = await client.waitFor('myapp-dev', (a) => settled(a) && a.status.sync.status === 'Synced' && a.status.history.length > before, 8000);
    expect(healed.status.operationState.operation.initiatedBy).toEqual({ automated: true });
    expect(dev()).toMatchObject({ replicas: 1 });
    expect(dev().images).not.toContain('nginx:evil');

    expect((await client.sync('myapp-prod')).status).toBe(200);
    await client.waitSyncedHealthy('myapp-prod');
    sim.faults.drift({ namespace: 'prod', name: 'myapp', replicas: 5 });
    await client.waitFor('myapp-prod', (a) => a.status.sync.status === 'OutOfSync', 3000);
    await sleep(800);
    const prod = (await client.app('myapp-prod')).body;
    expect(prod.status.sync.status).toBe('OutOfSync');
    expect(prod.status.resources[0]).toMatchObject({ kind: 'Deployment', status: 'OutOfSync' });
    expect((sim.cluster() as any).deployments.find((d: any) => d.namespace === 'prod').replicas).toBe(5);
  });

  it('answers a share of /api requests with 5xx, adds latency and drops connections', async () => {
    const { client, sim } = lab;
    sim.faults.setHttpFaults({ errorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 80; i++) statuses.push((await client.app('myapp-dev')).status);
    const failed = statuses.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(15);
    expect(failed).toBeLessThan(65);
    expect(statuses.filter((s) => s !== 503 && s !== 200)).toEqual([]);
    const r = await (async () => {
      for (;;) {
        const x = await client.app('myapp-dev');
        if (x.status === 503) return x;
      }
    })();
    expect(r.body).toMatchObject({ code: 14, message: 'simulated server fault' });
    // The admin endpoint itself is never faulted.
    expect((await admin('GET', '/faults')).body.http).toEqual({ errorRate: 0.5 });

    sim.faults.setHttpFaults({ latencyMs: 150 });
    const t0 = Date.now();
    expect((await client.app('myapp-dev')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    sim.faults.setHttpFaults({ dropRate: 1 });
    await expect(client.app('myapp-dev')).rejects.toThrow();
    await admin('POST', '/faults/reset');
    expect((await client.app('myapp-dev')).status).toBe(200);
  });

  it('counts API requests per method and path, with a reset', async () => {
    const { client } = lab;
    expect((await admin('DELETE', '/requests')).body.total).toBe(0);
    for (let i = 0; i < 3; i++) await client.app('myapp-prod');
    await client.call('DELETE', '/api/v1/applications/myapp-prod/operation');
    const counts = (await admin('GET', '/requests')).body;
    expect(counts.counts).toEqual({
      'GET /api/v1/applications/myapp-prod': 3,
      'DELETE /api/v1/applications/myapp-prod/operation': 1,
    });
    expect(counts.total).toBe(4);
  });

  it('guards the admin endpoint with a key when one is configured', async () => {
    const sim = await startArgoCDSimulator({ port: 0, adminKey: 's3cret' });
    try {
      expect((await fetch(`${sim.adminUrl}/faults`)).status).toBe(403);
      const ok = await fetch(`${sim.adminUrl}/faults`, { headers: { 'X-Sim-Admin-Key': 's3cret' } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ controllerPaused: false, imageFailures: [] });
    } finally {
      await sim.stop();
    }
  });
});
