import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { ArgoCDClient } from '../../src/argocd/client.js';
import { syncAndWait, type SyncAndWaitInput, type SyncProgress } from '../../src/argocd/sync-and-wait.js';
import { NEWER, OLD, OURS } from './fixtures.js';
import { argoError } from './http-server.js';
import { ScriptedArgoCD, type ScriptOptions } from './scripted-argocd.js';

const FAST = {
  autoSyncGraceMs: 300,
  pollFallbackMs: 400,
  hardRefreshAfterMs: 150,
  hardRefreshEveryMs: 300,
  conditionGraceMs: 300,
  progressEveryMs: 100,
};

let argo: ScriptedArgoCD | undefined;
afterEach(async () => {
  await argo?.close();
  argo = undefined;
});

async function setup(opts: Partial<ScriptOptions> = {}) {
  argo = await new ScriptedArgoCD({ head: OURS, deployed: OLD, ...opts }).start();
  const client = new ArgoCDClient({ baseUrl: argo.server.url, token: 'tok.en.x', insecure: false });
  const progress: SyncProgress[] = [];
  const input = (over: Partial<SyncAndWaitInput> = {}): SyncAndWaitInput => ({
    application: 'myapp-staging',
    project: 'default',
    revision: OURS,
    promotionId: 'promo-42',
    stage: 'staging-promote',
    timeoutMs: 10_000,
    onProgress: (p) => progress.push(p),
    tuning: FAST,
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

describe('syncAndWait, manual app', () => {
  it('refreshes once, syncs our SHA with our infos, and returns when Synced and Healthy, within 10 requests', async () => {
    const { argo, client, progress, input } = await setup();
    const result = await syncAndWait(client, input());
    expect(result).toMatchObject({ revision: OURS, health: 'Healthy', superseded: false, syncRequested: true, autoSync: false });
    expect(result.finishedAt).toMatch(/^2026-11-26T02:00:\d\dZ$/);
    expect(result.operationStartedAt).toBeDefined();
    expect(result.requests).toBeLessThanOrEqual(10);
    expect(result.requests).toBe(client.requests);

    const gets = argo.requestsTo('GET', '/myapp-staging');
    expect(gets[0]!.query.get('refresh')).toBe('normal');
    const syncs = argo.requestsTo('POST', '/sync');
    expect(syncs).toHaveLength(1);
    expect(JSON.parse(syncs[0]!.body)).toEqual({
      name: 'myapp-staging',
      project: 'default',
      prune: false,
      revision: OURS,
      infos: [
        { name: 'promenade.promotion', value: 'promo-42' },
        { name: 'promenade.stage', value: 'staging-promote' },
      ],
    });
    // Waits ran on the stream, not on polling.
    expect(argo.requestsTo('GET', '/stream/applications').length).toBeGreaterThanOrEqual(1);
    expect(gets.length).toBe(1);
    expect(progress.some((p) => p.syncRequested && p.syncRequests === 1)).toBe(true);
    expect(progress.at(-1)!.decision).toBe('ready');
  });

  it('#another-operation-in-progress: a foreign operation grabs the app as we sync; we wait it out on the stream and sync again', async () => {
    const { argo, client, input } = await setup();
    let first = true;
    argo.onSync = (_req, res) => {
      if (!first) return false;
      first = false;
      argo.begin({ sync: { revision: OLD }, initiatedBy: { username: 'admin' }, retry: {} });
      argoError(res, 400, 9, 'another operation is already in progress');
      return true;
    };
    const result = await syncAndWait(client, input());
    expect(result.health).toBe('Healthy');
    expect(argo.requestsTo('POST', '/sync')).toHaveLength(2);
    expect(result.requests).toBeLessThanOrEqual(10);
  });

  it('#stale-reconcile: no refresh after our sync -> one hard refresh, then ready', async () => {
    const { argo, client, input } = await setup({ reconcileAfterSync: false });
    // A hard refresh reconciles; health then settles as the controller would.
    const orig = argo.reconcile.bind(argo);
    let settled = false;
    argo.reconcile = () => {
      orig();
      if (!settled && argo.app.status?.operationState?.phase === 'Succeeded') {
        settled = true;
        argo.later(() => argo.settle());
      }
    };
    const result = await syncAndWait(client, input());
    expect(result.health).toBe('Healthy');
    const refreshes = argo.requestsTo('GET', '/myapp-staging').map((r) => r.query.get('refresh'));
    expect(refreshes).toContain('hard');
  });

  it('Degraded after our sync is a terminal Degraded naming the app and the resource', async () => {
    const { client, input } = await setup({
      healthAfter: () => ({ status: 'Degraded', message: 'Deployment "myapp" exceeded its progress deadline' }),
    });
    const f = await failureOf(syncAndWait(client, input()));
    expect(f.type).toBe('Degraded');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/myapp-staging is Degraded after syncing revision a3f5c9e.*exceeded its progress deadline/);
  });

  it('a failed sync operation is a terminal SyncFailed with the resource message', async () => {
    const { client, input } = await setup({ syncOutcome: () => 'Failed' });
    const f = await failureOf(syncAndWait(client, input()));
    expect(f.type).toBe('SyncFailed');
    expect(f.message).toMatch(/Deployment staging\/myapp: Deployment.apps "myapp" is invalid/);
  });

  it('times out as WaitTimeout with the last state in the message', async () => {
    const { client, input } = await setup({ healthAfter: () => ({ status: 'Progressing', message: 'Waiting for rollout' }) });
    const f = await failureOf(syncAndWait(client, input({ timeoutMs: 800 })));
    expect(f.type).toBe('WaitTimeout');
    expect(f.message).toMatch(/within 1s: health is Progressing: Waiting for rollout; last state: .*health=Progressing/);
  });

  it('#missing-looks-forbidden: a missing app (404 thanks to project) is terminal ArgoCDAccessDenied', async () => {
    const { client, input } = await setup();
    const f = await failureOf(syncAndWait(client, input({ application: 'nope' })));
    expect(f.type).toBe('ArgoCDAccessDenied');
    expect(f.message).toMatch(/application nope: it does not exist in that project/);
    const f2 = await failureOf(syncAndWait(client, input({ project: 'other' })));
    expect(f2.type).toBe('ArgoCDAccessDenied');
  });

  it('resumes after a crash without syncing twice: our operation is already running', async () => {
    const { argo, client, input } = await setup({ stepMs: 60 });
    argo.begin({
      sync: { revision: OURS },
      initiatedBy: { username: 'promenade' },
      info: [{ name: 'promenade.promotion', value: 'promo-42' }],
    });
    const result = await syncAndWait(client, input({ resumeState: { syncRequested: true, syncRequests: 1 } }));
    expect(result.health).toBe('Healthy');
    expect(argo.requestsTo('POST', '/sync')).toHaveLength(0);
  });

  it('#silent-resumable-stream: survives a stream that ends: reconnects with the last resourceVersion', async () => {
    const { argo, client, input } = await setup({ stepMs: 250 });
    argo.onStream = (_req, res, n) => {
      if (n !== 1) return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: { type: 'ADDED', application: argo.app } }) + '\n');
      return true;
    };
    const result = await syncAndWait(client, input());
    expect(result.health).toBe('Healthy');
    const streams = argo.requestsTo('GET', '/stream/applications');
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[1]!.query.get('resourceVersion')).toMatch(/^\d+$/);
  });

  it('#silent-resumable-stream: falls back to a slow GET when the stream stays silent', async () => {
    const { argo, client, input } = await setup();
    argo.onStream = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      return true; // headers, then silence: no events, no keepalive
    };
    const result = await syncAndWait(client, input());
    expect(result.health).toBe('Healthy');
    expect(argo.requestsTo('GET', '/myapp-staging').length).toBeGreaterThan(1);
  });

  it('stops promptly when cancelled', async () => {
    const { client, input } = await setup({ healthAfter: () => ({ status: 'Progressing' }) });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('activity cancelled')), 300);
    const started = Date.now();
    await expect(syncAndWait(client, input({ signal: ac.signal }))).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('syncAndWait, auto-sync app', () => {
  it('lets auto-sync deploy our revision and never syncs itself', async () => {
    const { argo, client, input } = await setup({ automated: true });
    const result = await syncAndWait(client, input());
    expect(result).toMatchObject({ revision: OURS, health: 'Healthy', syncRequested: false, autoSync: true });
    expect(argo.requestsTo('POST', '/sync')).toHaveLength(0);
    expect(result.requests).toBeLessThanOrEqual(10);
  });

  it('#branch-moved-on: syncs to targetRevision (no explicit SHA) when auto-sync does nothing within the grace', async () => {
    const { argo, client, input } = await setup({ automated: true, autoSyncStalled: true });
    const started = Date.now();
    const result = await syncAndWait(client, input());
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAST.autoSyncGraceMs);
    expect(result.syncRequested).toBe(true);
    const syncs = argo.requestsTo('POST', '/sync');
    expect(syncs).toHaveLength(1);
    expect(JSON.parse(syncs[0]!.body).revision).toBeUndefined();
  });

  it('#branch-moved-on: switches to auto-sync behaviour when Argo CD refuses our SHA on an auto-sync app', async () => {
    const { argo, client, input } = await setup({ automated: true, autoSyncStalled: true });
    const result = await syncAndWait(client, input({ autoSync: false }));
    expect(result.health).toBe('Healthy');
    const bodies = argo.requestsTo('POST', '/sync').map((r) => JSON.parse(r.body).revision);
    expect(bodies).toEqual([OURS, undefined]);
  });

  it('#branch-moved-on: on auto-sync, a later head that contains our commit is deployed instead; that supersedes ours', async () => {
    const { argo, client, input } = await setup({ automated: true, head: NEWER });
    const asked: string[][] = [];
    const result = await syncAndWait(
      client,
      input({ headContainsRevision: async (head, rev) => (asked.push([head, rev]), head === NEWER) }),
    );
    expect(result).toMatchObject({ revision: OURS, deployedRevision: NEWER, superseded: true, health: 'Healthy', syncRequested: false });
    expect(asked).toEqual([[NEWER, OURS]]);
    expect(argo.requestsTo('POST', '/sync')).toHaveLength(0);
  });

  it('#branch-moved-on: on auto-sync without proof that the head contains our commit: no false success, a clear failure', async () => {
    const { argo, client, input } = await setup({ automated: true, head: NEWER });
    const f = await failureOf(syncAndWait(client, input({ headContainsRevision: async () => false })));
    expect(f.type).toBe('SyncFailed');
    expect(f.message).toMatch(/resolves to ffffeee\w+, not our revision, and that commit does not contain ours/);
    expect(argo.requestsTo('POST', '/sync').length).toBeLessThanOrEqual(3);
  });

  it('race 6 on auto-sync where the later head carries our commit but another image: superseded at once, not a sync failure', async () => {
    const { argo, client, input } = await setup({ automated: true, head: NEWER });
    const f = await failureOf(syncAndWait(client, input({ headContainsRevision: async () => 'replaced' })));
    expect(f.type).toBe('Superseded');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/follows its branch to ffffeee\w+, which contains our commit \w+ but not our image/);
    expect(argo.requestsTo('POST', '/sync')).toHaveLength(0);
  });

  it('a sync request that keeps failing with 503 ends as retryable ArgoCDUnavailable after the client\'s bounded tries', async () => {
    const { argo, client, input, progress } = await setup();
    argo.onSync = (_req, res) => {
      argoError(res, 503, 14, 'connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.7:8081: connect: connection refused"');
      return true;
    };
    const f = await failureOf(syncAndWait(client, input()));
    expect(f.type).toBe('ArgoCDUnavailable');
    expect(f.nonRetryable).toBe(false);
    expect(argo.requestsTo('POST', '/sync')).toHaveLength(3);
    // The heartbeat does not claim a sync that never landed.
    expect(progress.at(-1)).toMatchObject({ syncRequested: false, syncRequests: 0 });
  });
});
