import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, settled, startLab } from './seed-lab.js';

describe('rendering from git', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  beforeAll(async () => {
    lab = await startLab({}, []);
    const { repo } = lab;
    repo.write('base/deployment.yaml', deployment('ignored', 2, 'nginx:1.19'));
    repo.write(
      'base/service.yaml',
      `apiVersion: v1
kind: Service
metadata:
  name: myapp
spec:
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: myapp-config
data:
  a: "1"
`,
    );
    repo.write('base/kustomization.yaml', 'resources:\n- deployment.yaml\n- service.yaml\n');
    repo.write(
      'overlays/qa/kustomization.yaml',
      `resources:
- ../../base
namespace: qa
images:
- name: nginx
  newName: registry.local/nginx
  newTag: "1.25"
`,
    );
    repo.write('overlays/qa/README.md', '# not a manifest\n');
    repo.write('overlays/qa/values.yaml', 'replicaCount: 3\n');
    repo.push('kustomize base + qa overlay');
  });
  afterAll(() => lab.close());

  const app = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: {
      project: 'default',
      source: { repoURL: lab.repo.remote, targetRevision: 'main', path, ...extra },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'qa' },
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
    },
  });

  it('renders kustomize resources, namespace and images overrides; ignores non-Kubernetes files', async () => {
    const { client, sim } = lab;
    expect((await client.call('POST', '/api/v1/applications', app('qa', 'overlays/qa'))).status).toBe(200);
    const outOfSync = await client.waitFor('qa', (a) => a.status.sync?.status === 'OutOfSync', 5000);
    expect(outOfSync.status.resources.map((r: any) => `${r.kind}/${r.namespace}/${r.name}`).sort()).toEqual([
      'ConfigMap/qa/myapp-config',
      'Deployment/qa/myapp',
      'Service/qa/myapp',
    ]);
    expect((await client.sync('qa')).status).toBe(200);
    const synced = await client.waitSyncedHealthy('qa');
    expect(synced.status.operationState.syncResult.resources.map((r: any) => r.message)).toEqual([
      'namespace/qa created',
      'configmap/myapp-config created',
      'service/myapp created',
      'deployment.apps/myapp created',
    ]);
    const pods = (sim.cluster() as any).pods.filter((p: any) => p.namespace === 'qa');
    expect(pods.map((p: any) => p.image)).toEqual(['registry.local/nginx:1.25', 'registry.local/nginx:1.25']);
    expect(synced.status.summary.images).toEqual(['registry.local/nginx:1.25']);
  });

  it('applies Application-level kustomize images and reads a plain directory from a file:// URL', async () => {
    const { client, sim } = lab;
    const a = app('qa-pinned', 'overlays/qa', { kustomize: { images: ['registry.local/nginx=registry.local/nginx:1.27'] } });
    expect((await client.call('POST', '/api/v1/applications', a)).status).toBe(200);
    const rendered = await client.waitFor('qa-pinned', (x) => x.status.sync?.status === 'OutOfSync', 5000);
    // Same objects as app "qa": they belong to another app, so they count as OutOfSync here.
    expect(rendered.status.resources).toHaveLength(3);
    expect((await client.sync('qa-pinned')).status).toBe(200);
    await client.waitSyncedHealthy('qa-pinned');
    const qaPods = (sim.cluster() as any).pods.filter((p: any) => p.namespace === 'qa');
    expect(qaPods.map((p: any) => p.image)).toEqual(['registry.local/nginx:1.27', 'registry.local/nginx:1.27']);
    const plain = app('plain', 'prod/myapp');
    plain.spec.source.repoURL = `file://${lab.repo.remote}`;
    plain.spec.destination.namespace = 'prod';
    expect((await client.call('POST', '/api/v1/applications', plain)).status).toBe(200);
    expect((await client.sync('plain')).status).toBe(200);
    await client.waitSyncedHealthy('plain');
    expect((sim.cluster() as any).pods.filter((p: any) => p.namespace === 'prod')).toHaveLength(3);
  });

  it('reports git failures as a ComparisonError with sync status Unknown', async () => {
    const { client } = lab;
    const broken = app('broken', 'dev/myapp');
    broken.spec.source.targetRevision = 'no-such-branch';
    expect((await client.call('POST', '/api/v1/applications', broken)).status).toBe(200);
    const a = await client.waitFor('broken', (x) => x.status.conditions?.length, 5000);
    expect(a.status.sync.status).toBe('Unknown');
    expect(a.status.conditions[0].type).toBe('ComparisonError');
    expect(a.status.conditions[0].message).toMatch(/unable to resolve 'no-such-branch' to a commit SHA/);
    const missingRepo = app('norepo', 'dev/myapp');
    missingRepo.spec.source.repoURL = '/nonexistent/repo.git';
    expect((await client.call('POST', '/api/v1/applications', missingRepo)).status).toBe(200);
    const b = await client.waitFor('norepo', (x) => x.status.conditions?.length, 5000);
    expect([b.status.sync.status, b.status.conditions[0].type]).toEqual(['Unknown', 'ComparisonError']);
    const r = await client.sync('norepo');
    expect([r.status, r.body.code]).toEqual([400, 9]);
  });

  it('fails a sync into a missing namespace without CreateNamespace', async () => {
    const { client } = lab;
    const a = app('nons', 'staging/myapp');
    a.spec.destination.namespace = 'staging';
    a.spec.syncPolicy = { syncOptions: [] };
    expect((await client.call('POST', '/api/v1/applications', a)).status).toBe(200);
    await client.waitFor('nons', (x) => x.status.sync?.status === 'OutOfSync', 5000);
    expect((await client.sync('nons')).status).toBe(200);
    const failed = await client.waitFor('nons', (x) => x.status.operationState?.phase === 'Failed', 5000);
    expect(failed.status.operationState.message).toBe('one or more objects failed to apply, reason: namespaces "staging" not found');
    expect(failed.status.operationState.syncResult.resources[0]).toMatchObject({ kind: 'Deployment', status: 'SyncFailed' });
    expect((lab.sim.cluster() as any).namespaces).not.toContain('staging');
    expect(failed.status.history).toBeUndefined();
  });

  it('prunes removed objects only when asked', async () => {
    const { client, repo } = lab;
    repo.write('base/kustomization.yaml', 'resources:\n- deployment.yaml\n');
    repo.push('drop the service and configmap');
    const stale = (await client.app('qa-pinned', '?refresh=normal')).body;
    const extra = stale.status.resources.filter((r: any) => r.requiresPruning).map((r: any) => r.kind).sort();
    expect(extra).toEqual(['ConfigMap', 'Service']);
    expect(stale.status.sync.status).toBe('OutOfSync');
    expect((await client.sync('qa-pinned')).status).toBe(200);
    const kept = await client.waitFor('qa-pinned', (x) => settled(x) && x.status.operationState?.phase === 'Succeeded' && x.status.operationState.syncResult.revision === repo.head(), 5000);
    expect(kept.status.operationState.syncResult.resources.filter((r: any) => r.status === 'PruneSkipped').map((r: any) => r.message)).toEqual([
      'ignored (requires pruning)',
      'ignored (requires pruning)',
    ]);
    expect(kept.status.sync.status).toBe('OutOfSync');
    expect((await client.sync('qa-pinned', { prune: true })).status).toBe(200);
    const pruned = await client.waitSyncedHealthy('qa-pinned');
    expect(pruned.status.operationState.syncResult.resources.filter((r: any) => r.status === 'Pruned').map((r: any) => r.kind).sort()).toEqual(['ConfigMap', 'Service']);
    const kinds = (lab.sim.cluster() as any).objects.filter((o: any) => o.namespace === 'qa').map((o: any) => o.kind);
    expect(kinds).toEqual(['Deployment']);
  });
});
