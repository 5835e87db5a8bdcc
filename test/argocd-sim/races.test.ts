import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, deployment, settled, sleep, startLab } from './seed-lab.js';

/** Polls the app until `check` holds and returns the matching snapshot. */
// Each case is a heading of docs/argocd-races.md: the simulator must show the moment the client is built to survive.
describe('the races a client must survive', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  beforeAll(async () => {
    lab = await startLab({ rolloutStepMs: 250, operationDelayMs: 150, syncDurationMs: 150, postOperationRefreshMs: 300 });
    await lab.client.waitSyncedHealthy('myapp-dev');
  });
  afterAll(() => lab.close());

  it('#accepted-is-not-started: an accepted sync has operation set and no operationState until the controller starts it', async () => {
    const { client } = lab;
    // A held controller makes "accepted, not started" observable however loaded the machine is;
    // unheld, the window is operationDelayMs long.
    lab.sim.faults.pauseController(true);
    try {
      const r = await client.sync('myapp-staging', { infos: [{ name: 'promotion', value: 'p1' }] });
      expect(r.status).toBe(200);
      expect(r.body.operation).toMatchObject({ initiatedBy: { username: 'admin' }, info: [{ name: 'promotion', value: 'p1' }] });
      expect(r.body.operation.sync.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(r.body.status.operationState).toBeUndefined();
      await sleep(400);
      const accepted = (await client.app('myapp-staging')).body;
      expect(accepted.operation).toBeDefined();
      expect(accepted.status.operationState).toBeUndefined();
    } finally {
      lab.sim.faults.pauseController(false);
    }
    const running = await client.waitFor('myapp-staging', (a) => a.status.operationState?.phase === 'Running', 3000);
    expect(running.operation).toBeDefined();
    expect(running.status.operationState.finishedAt).toBeUndefined();
    await client.waitSyncedHealthy('myapp-staging');
  });

  it('#another-operation-in-progress, #someone-elses-operation: someone else\'s operation blocks mine (400 code 9) and replaces operationState', async () => {
    const { client, sim } = lab;
    const mine = (await client.app('myapp-staging')).body.status.operationState;
    expect(mine.operation.info).toEqual([{ name: 'promotion', value: 'p1' }]);
    await sim.faults.startForeignOperation({ app: 'myapp-staging', username: 'alice', holdMs: 600 });
    const blocked = await client.sync('myapp-staging', { infos: [{ name: 'promotion', value: 'p2' }] });
    expect([blocked.status, blocked.body.code, blocked.body.message]).toEqual([400, 9, 'another operation is already in progress']);
    const foreign = await client.waitFor('myapp-staging', (a) => a.status.operationState?.phase === 'Running', 3000);
    expect(foreign.status.operationState.operation.initiatedBy).toEqual({ username: 'alice' });
    expect(foreign.status.operationState.operation.info).toBeUndefined();
    // Wait for it to clear, then decide again.
    await client.waitFor('myapp-staging', (a) => !a.operation, 5000);
    const again = await client.sync('myapp-staging', { infos: [{ name: 'promotion', value: 'p2' }] });
    expect(again.status).toBe(200);
    const done = await client.waitFor('myapp-staging', (a) => settled(a) && a.status.operationState?.operation.info?.[0]?.value === 'p2', 5000);
    expect(done.status.operationState.phase).toBe('Succeeded');
  });

  it('#retrying-is-not-final: a failed attempt waiting to retry is Running with finishedAt set', async () => {
    const { client, sim } = lab;
    sim.faults.failNextSyncs('myapp-prod', 2, 'simulated apply failure');
    const r = await client.sync('myapp-prod', { retryStrategy: { limit: 3, backoff: { duration: '400ms', factor: 1 } } });
    expect(r.status).toBe(200);
    const waiting = await client.waitFor(
      'myapp-prod',
      (a) => a.status.operationState?.phase === 'Running' && Boolean(a.status.operationState.finishedAt),
      5000,
    );
    expect(waiting.operation).toBeDefined();
    expect(waiting.status.operationState.retryCount).toBe(1);
    expect(waiting.status.operationState.message).toMatch(/^simulated apply failure\. Retrying attempt #1 at /);
    const blocked = await client.sync('myapp-prod');
    expect([blocked.status, blocked.body.code]).toEqual([400, 9]);
    const done = await client.waitFor('myapp-prod', (a) => ['Succeeded', 'Failed', 'Error'].includes(a.status.operationState?.phase), 8000);
    expect(done.status.operationState).toMatchObject({ phase: 'Succeeded', retryCount: 2 });

    sim.faults.failNextSyncs('myapp-prod', 1, 'simulated apply failure');
    await client.waitFor('myapp-prod', (a) => settled(a), 5000);
    expect((await client.sync('myapp-prod')).status).toBe(200);
    const failed = await client.waitFor('myapp-prod', (a) => a.status.operationState?.phase === 'Failed', 5000);
    expect(failed.operation).toBeUndefined();
    expect(failed.status.operationState.message).toBe('simulated apply failure');
  });

  it('#stale-reconcile: Succeeded comes before the rollout and before status is reconciled', async () => {
    const { client, repo, sim } = lab;
    await client.waitFor('myapp-prod', (a) => settled(a) && a.status.health.status === 'Healthy', 8000);
    repo.write('prod/myapp/deployment.yaml', deployment('prod', 3, 'nginx:1.25'));
    const sha = repo.push('prod: nginx 1.25');
    const before = (await client.app('myapp-prod', '?refresh=normal')).body;
    expect(before.status.sync).toMatchObject({ status: 'OutOfSync', revision: sha });
    expect(before.status.health.status).toBe('Healthy');
    const watch = await collectEvents(sim.url, client.token, 'myapp-prod');
    try {
      expect((await client.sync('myapp-prod')).status).toBe(200);
      const healthy = await client.waitSyncedHealthy('myapp-prod', sha, 8000);
      // The event that announced Succeeded was a snapshot of that instant: status not yet
      // reconciled (still OutOfSync, still "Healthy" from the old pods) while the rollout had not run.
      const succeeded = watch.events.find((e) => e.application.status.operationState?.phase === 'Succeeded')?.application;
      expect(succeeded.status.operationState.syncResult.revision).toBe(sha);
      expect(succeeded.status.sync.status).toBe('OutOfSync');
      expect(succeeded.status.health.status).toBe('Healthy');
      expect(succeeded.status.reconciledAt <= succeeded.status.operationState.finishedAt).toBe(true);
      const progressing = watch.events.find((e) => e.application.status.health?.status === 'Progressing')?.application;
      expect(Number(progressing.metadata.resourceVersion)).toBeGreaterThan(Number(succeeded.metadata.resourceVersion));
      expect(healthy.status.reconciledAt >= healthy.status.operationState.finishedAt).toBe(true);
    } finally {
      watch.close();
    }
    const after = (sim.cluster() as any).pods.filter((p: any) => p.namespace === 'prod');
    expect(after.map((p: any) => [p.image, p.ready])).toEqual([
      ['nginx:1.25', true],
      ['nginx:1.25', true],
      ['nginx:1.25', true],
    ]);
  });

  it('#branch-moved-on: sync.revision follows the branch, not what is deployed', async () => {
    const { client, repo } = lab;
    const deployed = (await client.app('myapp-prod')).body.status.operationState.syncResult.revision;
    repo.write('prod/myapp/deployment.yaml', deployment('prod', 3, 'nginx:1.26'));
    const next = repo.push('prod: nginx 1.26');
    const app = (await client.app('myapp-prod', '?refresh=normal')).body;
    expect(app.status.sync).toMatchObject({ status: 'OutOfSync', revision: next });
    expect(app.status.operationState.syncResult.revision).toBe(deployed);
    // Sync the older revision explicitly: allowed on a manual app, and it stays OutOfSync.
    expect((await client.sync('myapp-prod', { revision: deployed })).status).toBe(200);
    const pinned = await client.waitFor('myapp-prod', (a) => settled(a) && a.status.operationState?.syncResult?.revision === deployed, 5000);
    expect(pinned.status.sync).toMatchObject({ status: 'OutOfSync', revision: next });
    // The auto-sync app refuses anything but its targetRevision.
    const refused = await client.sync('myapp-dev', { revision: deployed });
    expect([refused.status, refused.body.message]).toEqual([400, `Cannot sync to ${deployed}: auto-sync currently set to main`]);
  });

  it('terminates a running operation, and rolls back to a history entry', async () => {
    const { client, sim } = lab;
    await client.waitFor('myapp-prod', (a) => settled(a), 5000);
    await sim.faults.startForeignOperation({ app: 'myapp-prod', username: 'bob', holdMs: 5000 });
    await client.waitFor('myapp-prod', (a) => a.status.operationState?.phase === 'Running', 3000);
    const r = await client.call('DELETE', '/api/v1/applications/myapp-prod/operation');
    expect([r.status, r.body]).toEqual([200, {}]);
    const terminated = await client.waitFor('myapp-prod', (a) => a.status.operationState?.phase === 'Failed', 3000);
    expect(terminated.status.operationState.message).toBe('Operation terminated');
    expect(terminated.operation).toBeUndefined();

    const history = terminated.status.history;
    const first = history[0];
    const rb = await client.call('POST', '/api/v1/applications/myapp-prod/rollback', { id: first.id });
    expect(rb.status).toBe(200);
    expect(rb.body.operation.sync).toMatchObject({ revision: first.revision, source: first.source });
    const done = await client.waitFor('myapp-prod', (a) => settled(a) && a.status.operationState?.syncResult?.revision === first.revision, 5000);
    expect(done.status.operationState.phase).toBe('Succeeded');
    expect(done.status.history.at(-1)).toMatchObject({ id: history.at(-1).id + 1, revision: first.revision, initiatedBy: { username: 'admin' } });
    await client.waitFor('myapp-prod', (a) => settled(a) && a.status.health.status === 'Healthy', 5000);
    const images = (sim.cluster() as any).pods.filter((p: any) => p.namespace === 'prod').map((p: any) => p.image);
    expect(images).toEqual(['nginx:latest', 'nginx:latest', 'nginx:latest']);
  });

  it('auto-sync races a manual sync right after a push, and never retries a failed revision', async () => {
    const { client, repo, sim } = lab;
    const patched = await client.call('PATCH', '/api/v1/applications/myapp-dev', {
      patch: JSON.stringify({ spec: { syncPolicy: { retry: { limit: 1, backoff: { duration: '200ms' } } } } }),
      patchType: 'merge',
    });
    expect(patched.status).toBe(200);
    sim.faults.failNextSyncs('myapp-dev', 2, 'simulated apply failure');
    repo.write('dev/myapp/deployment.yaml', deployment('dev', 1, 'nginx:1.27'));
    const bad = repo.push('dev: nginx 1.27');
    const hook = await fetch(`${sim.url}/api/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ref: 'refs/heads/main', repository: { html_url: 'https://github.com/example/gitops-repo' } }),
    });
    expect(hook.status).toBe(200);
    const auto = await client.waitFor('myapp-dev', (a) => a.operation?.initiatedBy?.automated === true && a.operation.sync.revision === bad, 5000);
    expect(auto.operation.retry).toMatchObject({ limit: 1 });
    const manual = await client.sync('myapp-dev');
    expect([manual.status, manual.body.message]).toEqual([400, 'another operation is already in progress']);
    const failed = await client.waitFor('myapp-dev', (a) => a.status.operationState?.phase === 'Failed', 5000);
    expect(failed.status.operationState).toMatchObject({ retryCount: 1, message: 'simulated apply failure' });
    // Several reconciles later the failed revision has not been attempted again.
    await sleep(1100);
    const later = (await client.app('myapp-dev')).body;
    expect(later.operation).toBeUndefined();
    expect(later.status.operationState.startedAt).toBe(failed.status.operationState.startedAt);
    expect(later.status.sync).toMatchObject({ status: 'OutOfSync', revision: bad });
    // A new revision is attempted.
    repo.write('dev/myapp/deployment.yaml', deployment('dev', 1, 'nginx:1.28'));
    const good = repo.push('dev: nginx 1.28');
    await client.waitSyncedHealthy('myapp-dev', good, 8000);
  });
});
