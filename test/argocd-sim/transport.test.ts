import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoClient, seedApplication, startLab } from './seed-lab.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('transport, auth and error rules', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  let anon: ArgoClient;
  let viewer: ArgoClient;
  beforeAll(async () => {
    lab = await startLab({
      refreshTimeoutMs: 800,
      tokens: [
        { token: 'viewer-token', subject: 'viewer', policies: [{ action: 'get', object: 'default/myapp-*' }] },
        { token: 'dev-syncer', subject: 'ci', policies: [{ action: '*', object: 'default/myapp-dev' }] },
      ],
    });
    anon = new ArgoClient(lab.sim.url);
    viewer = new ArgoClient(lab.sim.url);
    viewer.token = 'viewer-token';
    await lab.client.waitSyncedHealthy('myapp-dev');
  });
  afterAll(() => lab.close());

  it('#exact-content-type: refuses writes without the exact Content-Type, DELETE included (415, plain text)', async () => {
    const c = lab.client;
    for (const [method, path] of [
      ['POST', '/api/v1/applications/myapp-staging/sync'],
      ['DELETE', '/api/v1/applications/myapp-staging/operation'],
      ['DELETE', '/api/v1/applications/myapp-staging'],
    ]) {
      const r = await c.call(method!, path!, method === 'POST' ? {} : undefined, { 'Content-Type': 'application/json; charset=utf-8' });
      expect(r.status).toBe(415);
      expect(r.text).toBe('Invalid content type');
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    }
    const none = await fetch(`${lab.sim.url}/api/v1/applications/myapp-staging`, { method: 'DELETE', headers: { Authorization: `Bearer ${c.token}` } });
    expect(none.status).toBe(415);
    expect((await c.app('myapp-staging')).status).toBe(200);
  });

  it('answers 401 with the Argo CD messages', async () => {
    let r = await anon.app('myapp-dev');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'no session information', code: 16, message: 'no session information' });
    r = await anon.call('GET', '/api/v1/applications/myapp-dev', undefined, { Authorization: 'Bearer a.b.c' });
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/^invalid session: /);
    r = await anon.call('POST', '/api/v1/session', { username: 'admin' });
    expect([r.status, r.body.message, r.body.code]).toEqual([401, 'no credentials supplied', 16]);
    r = await anon.call('POST', '/api/v1/session', { username: 'admin', password: 'wrong' });
    expect([r.status, r.body.message]).toEqual([401, 'Invalid username or password']);
    r = await anon.call('GET', '/api/v1/applications/myapp-dev', undefined, { Cookie: `argocd.token=${lab.client.token}` });
    expect(r.status).toBe(200);
    const [header, claims] = lab.client.token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toMatchObject({ iss: 'argocd', sub: 'admin:login' });
  });

  it('#missing-looks-forbidden: makes a missing app look forbidden unless project is sent', async () => {
    const c = lab.client;
    let r = await c.app('nope');
    expect([r.status, r.body]).toEqual([403, { error: 'permission denied', code: 7, message: 'permission denied' }]);
    r = await c.app('nope', '?project=default');
    expect([r.status, r.body.code, r.body.message]).toEqual([404, 5, 'applications.argoproj.io "nope" not found']);
    r = await c.app('myapp-dev', '?project=other');
    expect([r.status, r.body.message]).toEqual([404, 'applications.argoproj.io "myapp-dev" not found']);
    r = await c.app('myapp-dev', '?project=default&project=other');
    expect([r.status, r.body.code]).toEqual([400, 3]);
    r = await c.app('myapp-dev', '?project=default');
    expect(r.status).toBe(200);

    // Static token with RBAC: get on myapp-* only.
    r = await viewer.app('myapp-prod');
    expect(r.status).toBe(200);
    r = await viewer.app('nope');
    expect([r.status, r.body.message]).toEqual([403, 'permission denied']);
    r = await viewer.app('other', '?project=secret');
    expect([r.status, r.body.message]).toEqual([403, 'permission denied']);
    r = await viewer.app('myapp-gone', '?project=default');
    expect(r.status).toBe(404);
    r = await viewer.sync('myapp-prod');
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/^permission denied: applications, sync, default\/myapp-prod, sub: viewer, iat: \d{4}-/);
    const list = await viewer.call('GET', '/api/v1/applications');
    expect(list.body.items).toHaveLength(3);
    const ci = new ArgoClient(lab.sim.url);
    ci.token = 'dev-syncer';
    expect((await ci.call('GET', '/api/v1/applications')).body.items.map((a: any) => a.metadata.name)).toEqual(['myapp-dev']);
    expect((await ci.app('myapp-staging')).status).toBe(403);
  });

  it('maps request errors to 400 with gRPC codes 3 and 9', async () => {
    const c = lab.client;
    let r = await c.call('POST', '/api/v1/applications/myapp-staging/sync', '{"prune": tru');
    expect([r.status, r.body.code]).toEqual([400, 3]);
    expect(r.body.error).toBe(r.body.message);
    r = await c.sync('myapp-staging', { revision: 'no-such-branch' });
    expect([r.status, r.body.code]).toEqual([400, 9]);
    r = await c.sync('myapp-dev', { revision: lab.repo.head() });
    expect([r.status, r.body.code, r.body.message]).toEqual([400, 9, `Cannot sync to ${lab.repo.head()}: auto-sync currently set to main`]);
    r = await c.call('DELETE', '/api/v1/applications/myapp-prod/operation');
    expect([r.status, r.body.message]).toEqual([400, 'Unable to terminate operation. No operation is in progress']);
    r = await c.call('POST', '/api/v1/applications/myapp-dev/rollback', { id: 0 });
    expect([r.status, r.body.message]).toEqual([400, 'rollback cannot be initiated when auto-sync is enabled']);
    r = await c.call('POST', '/api/v1/applications/myapp-prod/rollback', { id: 7 });
    expect([r.status, r.body.message]).toEqual([400, 'application argocd/myapp-prod does not have deployment with id 7']);
    r = await c.call('GET', '/api/v1/nothing-here');
    expect(r.status).toBe(404);
  });

  it('accepts an empty sync body, then refuses a second sync while the operation is set', async () => {
    const c = lab.client;
    const first = await c.call('POST', '/api/v1/applications/myapp-prod/sync', '');
    expect(first.status).toBe(200);
    expect(first.body.operation.sync.revision).toBe(lab.repo.head());
    const second = await c.sync('myapp-prod');
    expect([second.status, second.body]).toEqual([
      400,
      { error: 'another operation is already in progress', code: 9, message: 'another operation is already in progress' },
    ]);
    await c.waitSyncedHealthy('myapp-prod');
  });

  it('creates with upsert rules, validates, and drops a supplied operation', async () => {
    const c = lab.client;
    const app = seedApplication('staging');
    let r = await c.call('POST', '/api/v1/applications', app);
    expect(r.status).toBe(200);
    expect(r.body.metadata.name).toBe('myapp-staging');
    const changed = { ...app, spec: { ...app.spec, source: { ...app.spec.source!, targetRevision: 'release' } } };
    r = await c.call('POST', '/api/v1/applications', changed);
    expect([r.status, r.body.code, r.body.message]).toEqual([400, 3, 'existing application spec is different, use upsert flag to force update']);
    r = await c.call('POST', '/api/v1/applications', { metadata: { name: 'broken' }, spec: { destination: {} } });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^application spec for broken is invalid: /);
    const extra = { ...seedApplication('prod'), metadata: { name: 'extra' }, operation: { sync: { revision: 'main' } } };
    r = await c.call('POST', '/api/v1/applications', extra);
    expect(r.status).toBe(200);
    expect(r.body.operation).toBeUndefined();
    expect(r.body.status).toEqual({ sync: { comparedTo: { source: {}, destination: {} } }, health: {}, summary: {} });
    r = await c.call('POST', '/api/v1/applications?upsert=true', { ...extra, metadata: { name: 'extra', labels: { team: 'a' } } });
    expect([r.status, r.body.metadata.labels]).toEqual([200, { team: 'a' }]);
    r = await c.call('GET', '/api/v1/applications?selector=team%3Da');
    expect(r.body.items.map((a: any) => a.metadata.name)).toEqual(['extra']);
    r = await c.call('PATCH', '/api/v1/applications/extra', { patch: JSON.stringify({ spec: { source: { targetRevision: 'v2' } } }), patchType: 'merge' });
    expect([r.status, r.body.spec.source.targetRevision, r.body.spec.source.path]).toEqual([200, 'v2', 'prod/myapp']);
    r = await c.call('PATCH', '/api/v1/applications/extra', {
      patch: JSON.stringify([{ op: 'replace', path: '/spec/source/targetRevision', value: 'main' }]),
      patchType: 'json',
    });
    expect([r.status, r.body.spec.source.targetRevision, r.body.metadata.generation]).toEqual([200, 'main', 3]);
    r = await c.call('PUT', '/api/v1/applications/extra', { ...r.body, spec: { ...r.body.spec, project: 'default', revisionHistoryLimit: 3 } });
    expect([r.status, r.body.spec.revisionHistoryLimit]).toEqual([200, 3]);
    r = await c.call('DELETE', '/api/v1/applications/extra');
    expect([r.status, r.body]).toEqual([200, {}]);
    expect((await c.app('extra')).status).toBe(403);
  });

  it('serves RFC3339 whole-second times and a string resourceVersion that grows', async () => {
    const c = lab.client;
    const before = (await c.app('myapp-dev')).body;
    expect(typeof before.metadata.resourceVersion).toBe('string');
    for (const t of [before.status.reconciledAt, before.status.operationState.startedAt, before.status.operationState.finishedAt, before.status.history[0].deployedAt]) {
      expect(t).toMatch(RFC3339);
    }
    expect(before).not.toHaveProperty('kind');
    const after = (await c.app('myapp-dev', '?refresh=hard')).body;
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(after.metadata.annotations?.['argocd.argoproj.io/refresh']).toBeUndefined();
  });

  it('fails a blocking refresh with 500 when the controller does not reconcile in time', async () => {
    lab.sim.faults.pauseController(true);
    try {
      const started = Date.now();
      const r = await lab.client.app('myapp-staging', '?refresh=normal');
      expect([r.status, r.body.message]).toEqual([500, 'application refresh deadline exceeded']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    } finally {
      lab.sim.faults.pauseController(false);
    }
    // Once resumed, the parked refresh completes and the annotation goes away.
    await lab.client.waitFor('myapp-staging', (a) => a.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined, 3000);
  });
});
