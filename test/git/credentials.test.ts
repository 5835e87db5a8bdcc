import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChange, type CommitChangeRequest } from '../../src/git/commit.js';

let cacheDir: string;
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

function request(repository: string, env: NodeJS.ProcessEnv = {}): CommitChangeRequest {
  return {
    repository,
    branch: 'main',
    promotionId: 'p',
    stage: 'dev-sync',
    setter: { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'myapp' },
    image: 'nginx:1.21',
    message: 'Promote',
    workspace: { cacheDir, env: { PATH: process.env.PATH, HOME: cacheDir, ...env } },
  };
}

async function failure(promise: Promise<unknown>): Promise<{ message: string; type: string; nonRetryable: boolean }> {
  try {
    await promise;
  } catch (error) {
    return error as { message: string; type: string; nonRetryable: boolean };
  }
  throw new Error('expected a failure');
}

describe('git credentials', () => {
  it('refuses a repository URL with credentials without repeating them', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'promenade-cred-'));
    const error = await failure(commitChange(request('https://user:secret@127.0.0.1:1/x.git')));
    expect(error).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(error.message).toContain('https://***@127.0.0.1:1/x.git');
    expect(error.message).not.toContain('secret');
  });

  it('reports an unreachable remote as retryable without the worker credentials', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'promenade-cred-'));
    const error = await failure(commitChange(request('https://127.0.0.1:1/x.git', { PROMENADE_GIT_USERNAME: 'bot', PROMENADE_GIT_PASSWORD: 'secret-password' })));
    expect(error).toMatchObject({ type: 'GitUnavailable', nonRetryable: false });
    expect(error.message).toContain('git clone of https://127.0.0.1:1/x.git failed');
    expect(error.message).not.toContain('secret-password');
  });

  it('hands the worker credentials to git through askpass only', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'promenade-cred-'));
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      if (!req.headers.authorization) res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      else res.writeHead(500).end('no git here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/org/gitops.git`;
      const error = await failure(commitChange(request(url, { PROMENADE_GIT_USERNAME: 'bot', PROMENADE_GIT_PASSWORD: 'secret-password' })));
      expect(error.type).toBe('GitUnavailable');
      expect(seen).toContain(`Basic ${Buffer.from('bot:secret-password').toString('base64')}`);
      expect(error.message).not.toContain('secret-password');
      // Nothing in the cache holds the secret: the askpass script reads the environment when git asks.
      for (const file of readdirSync(cacheDir, { recursive: true }) as string[]) {
        try {
          expect(readFileSync(join(cacheDir, file), 'utf8')).not.toContain('secret-password');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
        }
      }
    } finally {
      server.close();
    }
  });
});
