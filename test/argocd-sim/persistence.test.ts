import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startArgoCDSimulator } from '../../src/argocd-sim/index.js';
import { ArgoClient, createSeedRepo, FAST, SEED_URL, seedApplication } from './seed-lab.js';

describe('stateDir persistence', () => {
  const repo = createSeedRepo();
  const stateDir = mkdtempSync(join(tmpdir(), 'argocd-sim-state-'));
  afterAll(() => {
    repo.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps applications, history and the cluster across a restart', async () => {
    const opts = { port: 0, ...FAST, stateDir, repositories: { [SEED_URL]: repo.remote } };
    const first = await startArgoCDSimulator({ ...opts, applications: [seedApplication('dev'), seedApplication('prod')] });
    const c1 = new ArgoClient(first.url);
    await c1.login();
    await c1.waitSyncedHealthy('myapp-dev');
    expect((await c1.sync('myapp-prod', { infos: [{ name: 'promotion', value: 'p9' }] })).status).toBe(200);
    const prod = await c1.waitSyncedHealthy('myapp-prod');
    const before = first.cluster() as any;
    await first.stop();
    const saved = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
    expect(saved.store.applications.map((a: any) => a.metadata.name).sort()).toEqual(['myapp-dev', 'myapp-prod']);

    // `applications` given again must not reset what was persisted.
    const second = await startArgoCDSimulator({ ...opts, applications: [seedApplication('dev')] });
    try {
      const c2 = new ArgoClient(second.url);
      await c2.login();
      const again = (await c2.app('myapp-prod')).body;
      expect(again.metadata.uid).toBe(prod.metadata.uid);
      expect(Number(again.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(prod.metadata.resourceVersion));
      expect(again.status.history).toEqual(prod.status.history);
      expect(again.status.operationState.operation.info).toEqual([{ name: 'promotion', value: 'p9' }]);
      const after = second.cluster() as any;
      expect(after.namespaces).toEqual(before.namespaces);
      expect(after.pods.map((p: any) => p.name).sort()).toEqual(before.pods.map((p: any) => p.name).sort());
      const settledProd = await c2.waitSyncedHealthy('myapp-prod');
      expect(settledProd.status.history).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
