import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { watchHealth, type HealthWatchProgress, type WatchHealthInput } from '../../src/argocd/health-watch.js';
import { NEWER, OURS } from './fixtures.js';
import { ScriptedArgoCD } from './scripted-argocd.js';

let argo: ScriptedArgoCD | undefined;
afterEach(async () => {
  await argo?.close();
  argo = undefined;
});

async function setup() {
  // Our revision is deployed, Synced and Healthy.
  argo = await new ScriptedArgoCD({ head: OURS, deployed: OURS }).start();
  const client = new ArgoCDClient({ baseUrl: argo.server.url, token: 'tok.en.x', insecure: false });
  const progress: HealthWatchProgress[] = [];
  const input = (over: Partial<WatchHealthInput> = {}): WatchHealthInput => ({
    application: 'myapp-staging',
    project: 'default',
    revision: OURS,
    durationMs: 600,
    onProgress: (p) => progress.push(p),
    tuning: { pollFallbackMs: 300, unhealthyGraceMs: 200, progressEveryMs: 100 },
    ...over,
  });
  return { argo, client, progress, input };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('watchHealth', () => {
  it('a quiet Healthy soak returns a summary after the duration, with few requests', async () => {
    const { client, progress, input } = await setup();
    const started = Date.now();
    const s = await watchHealth(client, input());
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(s).toMatchObject({ application: 'myapp-staging', revision: OURS, finalHealth: 'Healthy', finalSync: 'Synced', superseded: false });
    expect(s.transitions).toHaveLength(1);
    expect(s.requests).toBeLessThanOrEqual(6);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.health).toBe('Healthy');
  });

  it('a transition to Degraded fails at once as terminal Degraded naming the app and the message', async () => {
    const { argo, client, input } = await setup();
    setTimeout(
      () =>
        argo.mutate((a) => {
          a.status!.health = { status: 'Degraded', message: 'Deployment "myapp" exceeded its progress deadline' };
        }),
      150,
    );
    const started = Date.now();
    const f = await failureOf(watchHealth(client, input({ durationMs: 5_000 })));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(f.type).toBe('Degraded');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/myapp-staging became Degraded .* revision a3f5c9e.*: Deployment "myapp" exceeded its progress deadline/);
  });

  it('a short Missing is tolerated; a lasting one fails', async () => {
    const { argo, client, input } = await setup();
    setTimeout(() => argo.mutate((a) => void (a.status!.health = { status: 'Missing' })), 50);
    setTimeout(() => argo.mutate((a) => void (a.status!.health = { status: 'Healthy' })), 120);
    const s = await watchHealth(client, input({ durationMs: 500 }));
    expect(s.transitions.map((t) => t.health)).toEqual(['Healthy', 'Missing', 'Healthy']);

    setTimeout(() => argo.mutate((a) => void (a.status!.health = { status: 'Missing' })), 50);
    const f = await failureOf(watchHealth(client, input({ durationMs: 5_000 })));
    expect(f.type).toBe('Degraded');
    expect(f.message).toMatch(/has been Missing for/);
  });

  it('pods crashing after the rollout show as Progressing, never Degraded: a lasting Progressing fails the soak', async () => {
    const { argo, client, input } = await setup();
    const crashing = { status: 'Progressing', message: 'Waiting for rollout to finish: 1 of 3 updated replicas are available...' };
    setTimeout(() => argo.mutate((a) => void (a.status!.health = crashing)), 50);
    const f = await failureOf(watchHealth(client, input({ durationMs: 5_000 })));
    expect(f.type).toBe('Degraded');
    expect(f.message).toMatch(/has been Progressing for 0s .*: Waiting for rollout to finish: 1 of 3/);
  });

  it('a soak does not end on a dip: it waits for Healthy again', async () => {
    const { argo, client, input } = await setup();
    setTimeout(() => argo.mutate((a) => void (a.status!.health = { status: 'Progressing' })), 50);
    setTimeout(() => argo.mutate((a) => void (a.status!.health = { status: 'Healthy' })), 180);
    const started = Date.now();
    const s = await watchHealth(client, input({ durationMs: 100 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(170);
    expect(s.finalHealth).toBe('Healthy');
    expect(s.transitions.map((t) => t.health)).toEqual(['Healthy', 'Progressing', 'Healthy']);
  });

  it('OutOfSync from a newer push is recorded, not a failure', async () => {
    const { argo, client, input } = await setup();
    setTimeout(() => argo.mutate((a) => void (a.status!.sync = { status: 'OutOfSync', revision: NEWER })), 50);
    const s = await watchHealth(client, input());
    expect(s.superseded).toBe(false);
    expect(s.finalSync).toBe('OutOfSync');
  });

  it('#branch-moved-on: another revision being deployed ends the soak early as superseded', async () => {
    const { argo, client, input } = await setup();
    setTimeout(() => argo.begin({ sync: { revision: NEWER }, initiatedBy: { automated: true } }), 100);
    const started = Date.now();
    const s = await watchHealth(client, input({ durationMs: 5_000 }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s).toMatchObject({ superseded: true, supersededBy: NEWER });
  });

  it('a self-heal sync of our own revision does not end the soak', async () => {
    const { argo, client, input } = await setup();
    setTimeout(() => argo.begin({ sync: { revision: OURS }, initiatedBy: { automated: true } }), 100);
    const s = await watchHealth(client, input());
    expect(s.superseded).toBe(false);
  });

  it('#missing-looks-forbidden: a wrong project fails at once as ArgoCDAccessDenied', async () => {
    const { client, input } = await setup();
    const f = await failureOf(watchHealth(client, input({ project: 'nope' })));
    expect(f.type).toBe('ArgoCDAccessDenied');
  });

  it('#silent-resumable-stream: polls slowly when the stream is silent, and still sees Degraded', async () => {
    const { argo, client, input } = await setup();
    argo.onStream = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      return true;
    };
    setTimeout(() => argo.mutate((a) => void (a.status!.health = { status: 'Degraded', message: 'crash loop' })), 100);
    const f = await failureOf(watchHealth(client, input({ durationMs: 5_000 })));
    expect(f.type).toBe('Degraded');
  });

  it('stops when cancelled', async () => {
    const { client, input } = await setup();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by signal')), 100);
    await expect(watchHealth(client, input({ durationMs: 10_000, signal: ac.signal }))).rejects.toThrow('cancelled by signal');
  });
});
