import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { ArgoCDApiError, ArgoCDClient, argocdConfigFromEnv, argocdFailure } from '../../src/argocd/client.js';
import type { ApplicationWatchEvent } from '../../src/argocd/types.js';
import { OURS, app } from './fixtures.js';
import { argoError, json, startTestServer, type TestServer } from './http-server.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9tZW5hZGUifQ.c2VjcmV0LXNpZ25hdHVyZQ';

/** Polls `condition` for up to 5 s: for what the server sees a moment after the client has moved on. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Waits until the client reads on, or goes away; removes its listeners either way. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

function mustNotLeak(value: unknown): void {
  const e = value as Error & Record<string, unknown>;
  const seen = [String(e?.message), String(e?.stack), JSON.stringify(e), JSON.stringify(Object.entries(e ?? {}))];
  if (e instanceof ApplicationFailure) seen.push(String(JSON.stringify(e.details)), String(e.cause));
  for (const s of seen) expect(s).not.toContain(TOKEN);
}

describe('argocdConfigFromEnv', () => {
  it('host:port means https, like the argocd CLI', () => {
    expect(argocdConfigFromEnv({ ARGOCD_SERVER: 'argocd.example.com:8443', ARGOCD_AUTH_TOKEN: TOKEN })).toEqual({
      baseUrl: 'https://argocd.example.com:8443',
      token: TOKEN,
      insecure: false,
    });
  });

  it('ARGOCD_PLAINTEXT=true means http; ARGOCD_INSECURE=true skips TLS verification', () => {
    const c = argocdConfigFromEnv({ ARGOCD_SERVER: 'localhost:8080', ARGOCD_AUTH_TOKEN: TOKEN, ARGOCD_PLAINTEXT: 'true', ARGOCD_INSECURE: 'true' });
    expect(c.baseUrl).toBe('http://localhost:8080');
    expect(c.insecure).toBe(true);
  });

  it('accepts a full URL with a root path and drops the trailing slash', () => {
    expect(argocdConfigFromEnv({ ARGOCD_SERVER: 'https://cd.example.com/argocd/', ARGOCD_AUTH_TOKEN: TOKEN }).baseUrl).toBe(
      'https://cd.example.com/argocd',
    );
    expect(argocdConfigFromEnv({ ARGOCD_SERVER: 'http://127.0.0.1:30080/', ARGOCD_AUTH_TOKEN: TOKEN, ARGOCD_PLAINTEXT: 'false' }).baseUrl).toBe(
      'http://127.0.0.1:30080',
    );
  });

  it('plain HTTP only to loopback silently, to a host in ARGOCD_PLAINTEXT_HOSTS with a warning, and nowhere else', () => {
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    for (const server of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'http://127.1.2.3']) {
      expect(argocdConfigFromEnv({ ARGOCD_SERVER: server, ARGOCD_AUTH_TOKEN: TOKEN, ARGOCD_PLAINTEXT: 'true' }, warn).baseUrl).toMatch(/^http:\/\//);
    }
    expect(warnings).toEqual([]);

    for (const env of [
      { ARGOCD_SERVER: 'argocd-sim:8090', ARGOCD_PLAINTEXT: 'true' },
      { ARGOCD_SERVER: 'http://10.0.0.1:30080' },
      { ARGOCD_SERVER: 'argocd.example.com', ARGOCD_PLAINTEXT: '1', ARGOCD_PLAINTEXT_HOSTS: 'argocd-sim' },
    ]) {
      const err = (() => {
        try {
          argocdConfigFromEnv({ ...env, ARGOCD_AUTH_TOKEN: TOKEN }, warn);
        } catch (e) {
          return e as ApplicationFailure;
        }
      })();
      expect(err, env.ARGOCD_SERVER).toBeInstanceOf(ApplicationFailure);
      expect(err!.type).toBe('InvalidConfig');
      expect(err!.message).toMatch(/plain HTTP would send ARGOCD_AUTH_TOKEN unencrypted; it is allowed only for loopback or a host listed in ARGOCD_PLAINTEXT_HOSTS/);
      mustNotLeak(err);
    }
    expect(warnings).toEqual([]);

    const sim = argocdConfigFromEnv({ ARGOCD_SERVER: 'argocd-sim:8090', ARGOCD_PLAINTEXT: 'true', ARGOCD_PLAINTEXT_HOSTS: 'other, Argocd-Sim', ARGOCD_AUTH_TOKEN: TOKEN }, warn);
    expect(sim.baseUrl).toBe('http://argocd-sim:8090');
    expect(warnings).toEqual(['promenade: warning: talking to Argo CD at argocd-sim:8090 over plain HTTP (ARGOCD_PLAINTEXT_HOSTS); the token travels unencrypted']);
    // Without ARGOCD_PLAINTEXT the same host is reached over TLS.
    expect(argocdConfigFromEnv({ ARGOCD_SERVER: 'argocd-sim:8090', ARGOCD_PLAINTEXT_HOSTS: 'argocd-sim', ARGOCD_AUTH_TOKEN: TOKEN }, warn).baseUrl).toBe('https://argocd-sim:8090');
  });

  it('refuses a missing server or token, and credentials in the URL, as InvalidConfig without echoing the token', () => {
    expect(() => argocdConfigFromEnv({ ARGOCD_AUTH_TOKEN: TOKEN })).toThrow(/ARGOCD_SERVER is not set/);
    expect(() => argocdConfigFromEnv({ ARGOCD_SERVER: 'x:1' })).toThrow(/ARGOCD_AUTH_TOKEN is not set/);
    try {
      argocdConfigFromEnv({ ARGOCD_SERVER: `https://admin:${TOKEN}@cd.example.com`, ARGOCD_AUTH_TOKEN: TOKEN });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('InvalidConfig');
      mustNotLeak(err);
    }
  });
});

describe('ArgoCDClient over HTTP', () => {
  let server: TestServer;
  let client: ArgoCDClient;

  beforeEach(async () => {
    server = await startTestServer();
    client = new ArgoCDClient({ ...argocdConfigFromEnv({ ARGOCD_SERVER: 'placeholder:1', ARGOCD_AUTH_TOKEN: TOKEN }), baseUrl: server.url });
  });
  afterEach(async () => {
    await server.close();
  });

  it('#missing-looks-forbidden, #exact-content-type: GET sends the bearer token, project and refresh, and no content type', async () => {
    server.handle((_req, res) => json(res, 200, app()));
    const a = await client.getApplication('myapp-staging', { project: 'default', refresh: 'normal' });
    expect(a.metadata.name).toBe('myapp-staging');
    const [req] = server.requests;
    expect(req!.method).toBe('GET');
    expect(req!.path).toBe('/api/v1/applications/myapp-staging');
    expect(req!.query.get('project')).toBe('default');
    expect(req!.query.get('refresh')).toBe('normal');
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers['content-type']).toBeUndefined();
    expect(client.requests).toBe(1);
  });

  it('#exact-content-type: POST sync sends exactly application/json and the revision, infos and project', async () => {
    server.handle((_req, res) => json(res, 200, app({ operation: { sync: { revision: OURS } } })));
    await client.sync('myapp-staging', {
      project: 'default',
      revision: OURS,
      prune: false,
      infos: [{ name: 'promenade.promotion', value: 'p1' }],
    });
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/api/v1/applications/myapp-staging/sync');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual({
      name: 'myapp-staging',
      project: 'default',
      prune: false,
      revision: OURS,
      infos: [{ name: 'promenade.promotion', value: 'p1' }],
    });
  });

  it('#exact-content-type: a 415 plain-text body becomes a readable error', async () => {
    server.handle((_req, res) => {
      res.writeHead(415, { 'content-type': 'text/plain' });
      res.end('Invalid content type');
    });
    await expect(client.sync('a', { project: 'p' })).rejects.toMatchObject({ status: 415, argoMessage: 'Invalid content type' });
  });

  it('parses {error, code, message} and maps 404 to a terminal ArgoCDAccessDenied naming the app and the cause', async () => {
    server.handle((_req, res) => argoError(res, 404, 5, 'applications.argoproj.io "nope" not found'));
    const err = await client.getApplication('nope', { project: 'default' }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgoCDApiError);
    expect(err).toMatchObject({ status: 404, grpcCode: 5, argoMessage: 'applications.argoproj.io "nope" not found', accessDenied: true });
    const f = argocdFailure(err) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe('ArgoCDAccessDenied');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/application nope: it does not exist in that project/);
    expect(client.requests).toBe(1);
  });

  it('403 and 401 are terminal access failures with their cause', async () => {
    server.handle((_req, res) => argoError(res, 403, 7, 'permission denied: applications, sync, default/web, sub: ci, iat: 2026-11-26T01:00:00Z'));
    const f403 = argocdFailure(await client.sync('web', { project: 'default' }).catch((e) => e)) as ApplicationFailure;
    expect(f403.type).toBe('ArgoCDAccessDenied');
    expect(f403.message).toMatch(/web: the token lacks RBAC permission.*permission denied: applications, sync/);
    server.handle((_req, res) => argoError(res, 401, 16, 'invalid session: token has invalid claims: token is expired'));
    const f401 = argocdFailure(await client.getApplication('web', { project: 'default' }).catch((e) => e)) as ApplicationFailure;
    expect(f401.type).toBe('ArgoCDAccessDenied');
    expect(f401.message).toMatch(/ARGOCD_AUTH_TOKEN.*token is expired/);
  });

  it('400 another operation in progress is recognised and not retried', async () => {
    server.handle((_req, res) => argoError(res, 400, 9, 'another operation is already in progress'));
    const err = await client.sync('web', { project: 'default', revision: OURS }).catch((e) => e);
    expect(err.operationInProgress).toBe(true);
    expect(err.transient).toBe(false);
    expect(client.requests).toBe(1);
  });

  it('retries 503 inside one call, bounded, counting every try', async () => {
    let n = 0;
    server.handle((_req, res) => (++n < 3 ? argoError(res, 503, 14, 'connection refused by repo-server') : json(res, 200, app())));
    await client.getApplication('web', { project: 'default' });
    expect(client.requests).toBe(3);

    n = -100;
    const err = await client.getApplication('web', { project: 'default' }).catch((e) => e);
    expect(err).toMatchObject({ status: 503, transient: true });
    expect(client.requests).toBe(6);
    const f = argocdFailure(err) as ApplicationFailure;
    expect(f.type).toBe('ArgoCDUnavailable');
    expect(f.nonRetryable).toBe(false);
  });

  it('does not retry a 500 inside the call (the activity retry policy does)', async () => {
    server.handle((_req, res) => argoError(res, 500, 2, 'application refresh deadline exceeded'));
    const err = await client.getApplication('web', { project: 'default', refresh: 'hard' }).catch((e) => e);
    expect(err.status).toBe(500);
    expect(client.requests).toBe(1);
    expect((argocdFailure(err) as ApplicationFailure).type).toBe('ArgoCDUnavailable');
  });

  it('never lets the token into an error, even when the server echoes it', async () => {
    server.handle((_req, res) => argoError(res, 401, 16, `invalid session: token ${TOKEN} is malformed`));
    const err = await client.getApplication('web', { project: 'default' }).catch((e) => e);
    expect(err.message).toContain('[redacted]');
    mustNotLeak(err);
    mustNotLeak(argocdFailure(err));
  });

  it('connection errors are clean, transient and free of the token', async () => {
    const port = Number(new URL(server.url).port);
    await server.close();
    const dead = new ArgoCDClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, insecure: false, maxTries: 2 });
    const err = await dead.getApplication('web', { project: 'default' }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgoCDApiError);
    expect(err.message).toMatch(/cannot reach Argo CD \(ECONNREFUSED/);
    expect(err.transient).toBe(true);
    expect(err.cause).toBeUndefined();
    expect(dead.requests).toBe(2);
    mustNotLeak(err);
    const f = argocdFailure(err) as ApplicationFailure;
    expect(f.type).toBe('ArgoCDUnavailable');
    mustNotLeak(f);
    server = await startTestServer();
  });

  it('a request timeout is a transient error', async () => {
    server.handle(() => undefined);
    const slow = new ArgoCDClient({ baseUrl: server.url, token: TOKEN, insecure: false, maxTries: 1, requestTimeoutMs: 200 });
    const err = await slow.getApplication('web', { project: 'default' }).catch((e) => e);
    expect(err).toMatchObject({ transient: true, status: undefined });
    expect(err.message).toMatch(/timeout/);
    mustNotLeak(err);
  });

  it('an answer larger than the bound fails clearly, once, without being read to the end', async () => {
    const bounded = new ArgoCDClient({ baseUrl: server.url, token: TOKEN, insecure: false, maxResponseBytes: 64 * 1024 });
    // Announced by Content-Length.
    server.handle((_req, res) => json(res, 200, { ...app(), padding: 'x'.repeat(200 * 1024) }));
    const announced = await bounded.getApplication('web', { project: 'default' }).catch((e) => e);
    expect(announced).toBeInstanceOf(ArgoCDApiError);
    expect(announced.message).toMatch(/^GET \/api\/v1\/applications\/web\?project=default: the answer is larger than 0\.1 MiB \(65536 bytes\)/);
    expect(bounded.requests).toBe(1);

    // Chunked, with no length: a server that would go on for ever (10 MiB here) is cut off at the bound.
    let written = 0;
    let closedEarly: boolean | undefined;
    server.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => (closedEarly = !res.writableFinished));
      const chunk = Buffer.alloc(16 * 1024, 'x');
      res.write('{"padding":"');
      while (written < 10 * 1024 * 1024 && !res.destroyed) {
        if (!res.write(chunk)) await drainedOrClosed(res);
        written += chunk.length;
      }
      res.end('"}');
    });
    const chunked = await bounded.sync('web', { project: 'default' }).catch((e) => e);
    expect(chunked).toMatchObject({ argoMessage: 'response too large' });
    expect(chunked.message).toMatch(/the answer is larger than 0\.1 MiB/);
    expect(bounded.requests).toBe(2);
    await until(() => closedEarly !== undefined);
    expect(closedEarly).toBe(true);
    expect(written).toBeLessThan(10 * 1024 * 1024);
    mustNotLeak(chunked);
  });

  it('a server that drips its answer is cut off by the request timeout', async () => {
    const dripping = new ArgoCDClient({ baseUrl: server.url, token: TOKEN, insecure: false, maxTries: 1, requestTimeoutMs: 1_000 });
    let drips = 0;
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => {
        drips++;
        res.write(' ');
      }, 20);
      res.on('close', () => clearInterval(timer));
    });
    const err = await dripping.getApplication('web', { project: 'default' }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgoCDApiError);
    expect(err).toMatchObject({ status: undefined, transient: true });
    expect(err.message).toMatch(/cannot reach Argo CD \(timeout/);
    // The server really was sending all along: a timeout on the first byte would not prove the point.
    expect(drips).toBeGreaterThan(0);
  });

  it('createApplication posts the app with upsert and the exact content type', async () => {
    const body = app();
    server.handle((req, res) => json(res, 200, JSON.parse(req.body)));
    const created = await client.createApplication(body, { upsert: true });
    expect(created.metadata.name).toBe('myapp-staging');
    const [req] = server.requests;
    expect(req!.path).toBe('/api/v1/applications');
    expect(req!.query.get('upsert')).toBe('true');
    expect(req!.headers['content-type']).toBe('application/json');
  });
});

describe('#silent-resumable-stream: watchApplication', () => {
  let server: TestServer;
  let client: ArgoCDClient;

  beforeEach(async () => {
    server = await startTestServer();
    client = new ArgoCDClient({ baseUrl: server.url, token: TOKEN, insecure: false });
  });
  afterEach(async () => {
    await server.close();
  });

  const line = (type: string, resourceVersion: string) =>
    JSON.stringify({ result: { type, application: app({ resourceVersion }) } }) + '\n';

  it('parses NDJSON events split across chunk boundaries and sends name, projects and resourceVersion', async () => {
    server.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const all = line('ADDED', '1') + line('MODIFIED', '2') + line('MODIFIED', '3');
      // Cut in the middle of the first event, and again inside a multi-byte-free region of the second.
      const cuts = [17, 600, all.length - 5];
      let from = 0;
      for (const cut of cuts) {
        res.write(all.slice(from, cut));
        from = cut;
        await new Promise((r) => setTimeout(r, 20));
      }
      res.end(all.slice(from));
    });
    const events: ApplicationWatchEvent[] = [];
    for await (const ev of client.watchApplication('myapp-staging', { project: 'default', resourceVersion: '7' })) events.push(ev);
    expect(events.map((e) => [e.type, e.application.metadata.resourceVersion])).toEqual([
      ['ADDED', '1'],
      ['MODIFIED', '2'],
      ['MODIFIED', '3'],
    ]);
    const [req] = server.requests;
    expect(req!.path).toBe('/api/v1/stream/applications');
    expect(req!.query.get('name')).toBe('myapp-staging');
    expect(req!.query.getAll('projects')).toEqual(['default']);
    expect(req!.query.get('resourceVersion')).toBe('7');
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(client.requests).toBe(1);
  });

  it('reads the last event even without a trailing newline', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(line('ADDED', '5').trimEnd());
    });
    const events: ApplicationWatchEvent[] = [];
    for await (const ev of client.watchApplication('a', { project: 'p' })) events.push(ev);
    expect(events).toHaveLength(1);
  });

  it('throws the error body sent before the first event, as an access error, without the token', async () => {
    server.handle((_req, res) => {
      const body = JSON.stringify({ error: { grpc_code: 16, http_code: 401, message: `invalid session: ${TOKEN}`, http_status: 'Unauthorized' } });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(body);
    });
    const err = await (async () => {
      for await (const _ of client.watchApplication('a', { project: 'p' })) void _;
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ArgoCDApiError);
    expect(err).toMatchObject({ status: 401, grpcCode: 16, accessDenied: true });
    mustNotLeak(err);
  });

  it('throws an error line that arrives mid-stream', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line('ADDED', '1'));
      res.end(JSON.stringify({ error: { grpc_code: 14, http_code: 503, message: 'watch closed', http_status: 'Service Unavailable' } }) + '\n');
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of client.watchApplication('a', { project: 'p' })) seen.push(ev.type);
    })().catch((e) => e);
    expect(seen).toEqual(['ADDED']);
    expect(err).toMatchObject({ status: 503, transient: true });
  });

  it('ends quietly when the signal aborts a silent stream (no keepalive)', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line('ADDED', '1'));
    });
    const ac = new AbortController();
    const seen: string[] = [];
    setTimeout(() => ac.abort(), 150);
    const started = Date.now();
    for await (const ev of client.watchApplication('a', { project: 'p', signal: ac.signal })) seen.push(ev.type);
    expect(seen).toEqual(['ADDED']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a stream line longer than the bound fails the watch after the events before it', async () => {
    const bounded = new ArgoCDClient({ baseUrl: server.url, token: TOKEN, insecure: false, maxResponseBytes: 64 * 1024 });
    let closedEarly = false;
    server.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => (closedEarly = true));
      res.write(line('ADDED', '1'));
      // One line with no end: the bound, not the server, decides when reading stops.
      res.write('{"result":{"type":"MODIFIED","application":{"padding":"');
      const chunk = Buffer.alloc(16 * 1024, 'x');
      for (let i = 0; i < 640 && !res.destroyed; i++) {
        if (!res.write(chunk)) await drainedOrClosed(res);
      }
      res.end();
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of bounded.watchApplication('a', { project: 'p' })) seen.push(ev.type);
    })().catch((e) => e);
    expect(seen).toEqual(['ADDED']);
    expect(err).toBeInstanceOf(ArgoCDApiError);
    expect(err.message).toMatch(/a stream line is larger than 0\.1 MiB/);
    await until(() => closedEarly);
    expect(closedEarly).toBe(true);
  });

  it('keeps a multi-byte character that is split across chunks', async () => {
    server.handle(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const event = Buffer.from(JSON.stringify({ result: { type: 'ADDED', application: app({ healthMessage: 'Grüße ✓' }) } }) + '\n');
      const cut = event.indexOf(Buffer.from('✓')) + 1;
      res.write(event.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 20));
      res.end(event.subarray(cut));
    });
    const events: ApplicationWatchEvent[] = [];
    for await (const ev of client.watchApplication('a', { project: 'p' })) events.push(ev);
    expect(events[0]!.application.status!.health!.message).toBe('Grüße ✓');
  });

  it('breaking out of the loop closes the connection', async () => {
    let closed = false;
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line('ADDED', '1'));
      res.on('close', () => {
        closed = true;
      });
    });
    for await (const _ of client.watchApplication('a', { project: 'p' })) break;
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
  });
});

describe('TLS', () => {
  it('verifies certificates unless ARGOCD_INSECURE=true, and a refused certificate leaves no token in the error', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createServer } = await import('node:https');
    const dir = mkdtempSync(join(tmpdir(), 'promenade-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(app()));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        const env = { ARGOCD_SERVER: `127.0.0.1:${port}`, ARGOCD_AUTH_TOKEN: TOKEN };
        const strict = new ArgoCDClient({ ...argocdConfigFromEnv(env), maxTries: 1 });
        const err = await strict.getApplication('web', { project: 'default' }).catch((e) => e);
        expect(err).toBeInstanceOf(ArgoCDApiError);
        expect(err.message).toMatch(/SELF_SIGNED|self-signed|certificate/i);
        expect(err.message).toMatch(/ARGOCD_INSECURE/);
        mustNotLeak(err);
        const insecure = new ArgoCDClient(argocdConfigFromEnv({ ...env, ARGOCD_INSECURE: 'true' }));
        expect((await insecure.getApplication('web', { project: 'default' })).metadata.name).toBe('myapp-staging');
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
