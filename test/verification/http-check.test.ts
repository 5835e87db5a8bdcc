// http checks against real endpoints on loopback: a healthy one, a slow one, a failing one, one with the wrong body,
// and one behind a self-signed certificate (refused unless the check says insecure). Secrets reach only their host.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCheckConfig } from '../../src/config/pipeline.js';
import type { VerificationConfig } from '../../src/config/worker-config/verification.js';
import { runChecks } from '../../src/verification/run-checks.js';

let plain: Server;
let tls: Server;
let base: string;
let tlsBase: string;
let dir: string;
const seen: Array<{ url?: string; auth?: string }> = [];

function routes(req: IncomingMessage, res: import('node:http').ServerResponse) {
  seen.push({ url: req.url, auth: req.headers.authorization });
  if (req.url === '/ok') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up","checks":[{"ready":true}]}');
  if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 3000);
  if (req.url === '/fail') return res.writeHead(503).end('unavailable');
  if (req.url === '/wrong-body') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"maintenance"}');
  res.writeHead(404).end();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promenade-http-check-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  plain = createServer(routes);
  tls = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, routes);
  await Promise.all([new Promise<void>((r) => plain.listen(0, '127.0.0.1', r)), new Promise<void>((r) => tls.listen(0, '127.0.0.1', r))]);
  base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  tlsBase = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
});
afterAll(() => {
  plain?.closeAllConnections();
  tls?.closeAllConnections?.();
  plain?.close();
  tls?.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (): VerificationConfig => ({
  prometheus: {},
  allowedHosts: [`127.0.0.1:${new URL(base).port}`, `127.0.0.1:${new URL(tlsBase).port}`],
  secrets: { STATUS_TOKEN: { value: 'Bearer s3cret-value', hosts: [`127.0.0.1:${new URL(base).port}`] } },
});

function check(over: Partial<HttpCheckConfig>): HttpCheckConfig {
  return { kind: 'http', name: 'page', url: `${base}/ok`, method: 'GET', status: 200, headers: {}, secretHeaders: {}, successes: 2, intervalSeconds: 0.05, timeoutSeconds: 1, insecure: false, failureLimit: 0, errorLimit: 2, ...over };
}

const run = (c: HttpCheckConfig, cfg = config()) => runChecks({ checks: [c], during: 'healthy', durationMs: 0, config: cfg });

describe('http checks', () => {
  it('passes after the consecutive successes, with a JSON path match and the bound secret sent', async () => {
    seen.length = 0;
    const outcome = await run(check({ body: { jsonPath: '$.checks[0].ready', value: true }, secretHeaders: { Authorization: 'STATUS_TOKEN' } }));
    expect(outcome).toMatchObject({ passed: true, counts: { page: 2 } });
    expect(outcome.measurements.map((m) => m.phase)).toEqual(['Successful', 'Successful']);
    expect(outcome.measurements[0]!.value).toMatch(/^200 in \d+ ms$/);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer s3cret-value', 'Bearer s3cret-value']);
    expect(JSON.stringify(outcome)).not.toContain('s3cret');
  });

  it('fails on a wrong status', async () => {
    const outcome = await run(check({ url: `${base}/fail` }));
    expect(outcome.passed).toBe(false);
    expect(outcome.failure).toBe('check page: 1 failed measurement(s), more than failureLimit 0; last: value ' + outcome.measurements[0]!.value + ': status 503, expected 200');
  });

  it('fails on the wrong body (regular expression and JSON path)', async () => {
    const regex = await run(check({ url: `${base}/wrong-body`, body: { regex: '"status":\\s*"up"' } }));
    expect(regex.failure).toMatch(/body does not match \/"status":\\s\*"up"\/: "\{\\"status\\":\\"maintenance\\"\}"/);
    const path = await run(check({ url: `${base}/wrong-body`, body: { jsonPath: '$.status', value: 'up' }, failureLimit: 1 }));
    expect(path.failure).toMatch(/2 failed measurement\(s\), more than failureLimit 1; .*\$\.status is "maintenance", expected "up"/);
  });

  it('a slow endpoint is retried, then fails with the cause, never passes', async () => {
    const outcome = await run(check({ url: `${base}/slow`, timeoutSeconds: 0.3, errorLimit: 2 }));
    expect(outcome.passed).toBe(false);
    expect(outcome.measurements.map((m) => m.phase)).toEqual(['Error', 'Error', 'Error']);
    expect(outcome.failure).toMatch(/could not be measured 3 times in a row: GET http:\/\/127\.0\.0\.1:\d+\/slow: no answer within 0\.3s/);
  });

  it('a self-signed certificate is refused unless the check says insecure', async () => {
    const verified = await run(check({ url: `${tlsBase}/ok`, errorLimit: 0 }));
    expect(verified.failure).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED/);
    expect(verified.failure).toContain('insecure: true only for a known self-signed certificate');
    const insecure = await run(check({ url: `${tlsBase}/ok`, insecure: true }));
    expect(insecure.passed).toBe(true);
  });

  it('a secret is not sent to a host it is not bound to, and a host not allowed is not reached', async () => {
    seen.length = 0;
    const wrongHost = await run(check({ url: `${tlsBase}/ok`, insecure: true, secretHeaders: { Authorization: 'STATUS_TOKEN' } }));
    expect(wrongHost.failure).toMatch(/secret STATUS_TOKEN.*not bound to 127\.0\.0\.1:\d+/);
    const elsewhere = await run(check({ url: 'http://169.254.169.254/latest/meta-data' }));
    expect(elsewhere.failure).toMatch(/169\.254\.169\.254 is not among the hosts/);
    expect(seen).toEqual([]);
  });
});
