import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIdToken } from '../../src/identity/ci-id-token.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl';
let dir: string;
let server: Server;
let url: string;
const seen: Array<{ auth?: string; audience: string | null }> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-ci-token-'));
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    seen.push({ auth: req.headers.authorization, audience: u.searchParams.get('audience') });
    if (req.headers.authorization !== 'bearer good') return void res.writeHead(403).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: TOKEN }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('the ID token CI offers', () => {
  it('takes a file first, then PROMENADE_ID_TOKEN, then GitHub Actions, and says where it came from', async () => {
    const file = join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`);
    const github = { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'good' };
    expect(await findIdToken({ file, env: { PROMENADE_ID_TOKEN: 'x.y.z', ...github } })).toEqual({ token: TOKEN, source: file });
    expect(await findIdToken({ env: { PROMENADE_ID_TOKEN: TOKEN, ...github } })).toEqual({ token: TOKEN, source: 'PROMENADE_ID_TOKEN' });
    expect(await findIdToken({ env: { ...github, PROMENADE_ID_TOKEN_AUDIENCE: 'workers.example.com' } })).toEqual({ token: TOKEN, source: 'GitHub Actions' });
    expect(seen.at(-1)).toEqual({ auth: 'bearer good', audience: 'workers.example.com' });
    expect(await findIdToken({ env: {} })).toBeUndefined();
  });

  it('names what is wrong without showing the token', async () => {
    await expect(findIdToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'bad' } })).rejects.toThrow(/HTTP 403.*id-token: write/);
    await expect(findIdToken({ env: { PROMENADE_ID_TOKEN: 'secret-looking but not a JWT' } })).rejects.toThrow(/^PROMENADE_ID_TOKEN does not hold an ID token \(a JWT\)$/);
    await expect(findIdToken({ file: join(dir, 'missing') })).rejects.toThrow(/cannot be read: ENOENT/);
  });
});
