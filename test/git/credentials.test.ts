// Credentials reach git only for their own repository: real git against a local HTTP server that records what it
// receives, and a fake `ssh` on PATH that records how git calls it and then serves a bare repository on disk.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitChange, type CommitChangeRequest } from '../../src/git/commit.js';
import type { RepositoryCredentials } from '../../src/config/worker-config/repositories.js';
import { createGitopsRemote, type GitopsRemote } from './gitops-remote.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promenade-cred-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function request(repository: string, cacheDir: string, options: { credentials?: RepositoryCredentials; env?: NodeJS.ProcessEnv } = {}): CommitChangeRequest {
  return {
    repository,
    branch: 'main',
    promotionId: 'p',
    stage: 'dev-sync',
    setter: { kind: 'container', file: 'dev/myapp/deployment.yaml', container: 'myapp' },
    image: 'nginx:1.21',
    message: 'Promote',
    workspace: { cacheDir, env: options.env ?? { PATH: process.env.PATH, HOME: cacheDir }, ...(options.credentials ? { credentials: options.credentials } : {}) },
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

/** An HTTP server that asks for credentials and records every request's path and Authorization header. */
async function recordingServer(): Promise<{ base: string; seen: Array<{ path: string; authorization: string }> }> {
  const seen: Array<{ path: string; authorization: string }> = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization ?? '' });
    if (!req.headers.authorization) res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
    else res.writeHead(500).end('no git here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

describe('git credentials', () => {
  it('refuses a repository URL with credentials without repeating them', async () => {
    const error = await failure(commitChange(request('https://user:secret@127.0.0.1:1/x.git', tempDir())));
    expect(error).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(error.message).toContain('https://***@127.0.0.1:1/x.git');
    expect(error.message).not.toContain('secret');
  });

  it('reports an unreachable remote as retryable without the credentials', async () => {
    const credentials: RepositoryCredentials = { kind: 'https', username: 'bot', token: 'secret-token' };
    const error = await failure(commitChange(request('https://127.0.0.1:1/x.git', tempDir(), { credentials })));
    expect(error).toMatchObject({ type: 'GitUnavailable', nonRetryable: false });
    expect(error.message).toContain('git clone of https://127.0.0.1:1/x.git failed');
    expect(error.message).not.toContain('secret-token');
  });

  it('sends a repository its own credentials and no other repository any', async () => {
    const { base, seen } = await recordingServer();
    const cacheDir = tempDir();
    const ours = `${base}/org/gitops.git`;
    const credentials: RepositoryCredentials = { kind: 'https', username: 'bot', token: 'secret-token' };
    expect((await failure(commitChange(request(ours, cacheDir, { credentials })))).type).toBe('GitUnavailable');
    // Same process, same server, same worker environment: another repository gets nothing.
    expect((await failure(commitChange(request(`${base}/org/other.git`, cacheDir)))).type).toBe('GitUnavailable');

    const toOurs = seen.filter((r) => r.path.startsWith('/org/gitops.git/'));
    const elsewhere = seen.filter((r) => !r.path.startsWith('/org/gitops.git/'));
    expect(toOurs.map((r) => r.authorization)).toContain(basic('bot', 'secret-token'));
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(elsewhere.every((r) => r.authorization === '')).toBe(true);
    // Nothing in the cache holds the secret: the helper reads it from the git process's own environment.
    for (const file of readdirSync(cacheDir, { recursive: true }) as string[]) {
      try {
        expect(readFileSync(join(cacheDir, file), 'utf8')).not.toContain('secret-token');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
      }
    }
  });

  it("runs git with a minimal environment: none of the worker's secrets, no credential on its command line", async () => {
    const remote = createGitopsRemote();
    cleanups.push(() => remote.cleanup());
    const bin = tempDir();
    const log = join(bin, 'calls.log');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\n{ echo "ARGS $*"; env; } >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const workerEnv = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: remote.root,
      ARGOCD_AUTH_TOKEN: 'argocd-token-value',
      TEMPORAL_API_KEY: 'temporal-key-value',
      PROMENADE_GIT_PASSWORD: 'legacy-password-value',
      GIT_ASKPASS: '/bin/echo',
    };
    const credentials: RepositoryCredentials = { kind: 'https', username: 'bot', token: 'secret-token' };
    const result = await commitChange(request(remote.url, remote.cacheDir, { env: workerEnv, credentials }));
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain('ARGS');
    for (const secret of ['argocd-token-value', 'temporal-key-value', 'legacy-password-value', 'GIT_ASKPASS']) expect(calls).not.toContain(secret);
    expect(calls.split('\n').filter((l) => l.startsWith('ARGS ')).join('\n')).not.toContain('secret-token');
  });
});

describe('ssh deploy keys', () => {
  /** A fake ssh: records its arguments and the identity file it was given, then runs git's command on this machine. */
  function fakeSsh(): { bin: string; calls: () => Array<{ args: string[]; identity: string; knownHosts: string }> } {
    const bin = tempDir();
    const log = join(bin, 'ssh.log');
    const script = [
      '#!/bin/sh',
      'id=; kh=',
      'for a in "$@"; do case "$a" in IdentityFile=*) id=${a#IdentityFile=} ;; UserKnownHostsFile=*) kh=${a#UserKnownHostsFile=} ;; esac; done',
      `{ printf '%s\\037' "$@"; printf '\\036'; cat "$id"; printf '\\036'; cat "$kh"; printf '\\035'; } >> '${log}'`,
      'for last; do :; done',
      'exec sh -c "$last"',
      '',
    ].join('\n');
    writeFileSync(join(bin, 'ssh'), script);
    chmodSync(join(bin, 'ssh'), 0o755);
    return {
      bin,
      calls: () =>
        readFileSync(log, 'utf8')
          .split('\x1d')
          .filter(Boolean)
          .map((entry) => {
            const [args = '', identity = '', knownHosts = ''] = entry.split('\x1e');
            return { args: args.split('\x1f').filter(Boolean), identity, knownHosts };
          }),
    };
  }

  function deployKey(dir: string, name: string): string {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, name), 'utf8');
  }

  it('uses each deploy key for its own host only, with its pinned host keys', async () => {
    const ssh = fakeSsh();
    const keys = tempDir();
    const keyA = deployKey(keys, 'key-a');
    const keyB = deployKey(keys, 'key-b');
    const remotes: GitopsRemote[] = [createGitopsRemote(), createGitopsRemote()];
    cleanups.push(() => remotes.forEach((r) => r.cleanup()));
    const env = { PATH: `${ssh.bin}:${process.env.PATH}`, HOME: keys, SSH_AUTH_SOCK: '/nonexistent/agent.sock' };
    const pinned = (host: string) => [`${host} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`];
    const a: RepositoryCredentials = { kind: 'ssh', privateKey: { value: keyA }, knownHosts: pinned('git-a.example.com') };
    const b: RepositoryCredentials = { kind: 'ssh', privateKey: { value: keyB }, knownHosts: pinned('git-b.example.com') };
    const cacheDir = tempDir();
    await commitChange(request(`ssh://git@git-a.example.com${remotes[0]!.url}`, cacheDir, { env, credentials: a }));
    const afterA = ssh.calls().length;
    await commitChange(request(`ssh://git@git-b.example.com${remotes[1]!.url}`, cacheDir, { env, credentials: b }));

    // Both pushes landed through the fake ssh.
    expect(remotes[0]!.read('dev/myapp/deployment.yaml')).toContain('nginx:1.21');
    expect(remotes[1]!.read('dev/myapp/deployment.yaml')).toContain('nginx:1.21');
    const calls = ssh.calls();
    expect(afterA).toBeGreaterThan(0);
    calls.forEach((call, i) => {
      const [key, host, other] = i < afterA ? [keyA, 'git-a.example.com', keyB] : [keyB, 'git-b.example.com', keyA];
      expect(call.args).toContain(`git@${host}`);
      expect(call.identity).toBe(key);
      expect(call.identity).not.toBe(other);
      expect(call.knownHosts.trim()).toBe(pinned(host)[0]);
      expect(call.args).toEqual(expect.arrayContaining(['IdentitiesOnly=yes', 'StrictHostKeyChecking=yes', 'IdentityAgent=none', 'GlobalKnownHostsFile=/dev/null']));
      // The key travels as a file path, never as an argument.
      expect(call.args.join(' ')).not.toContain('PRIVATE KEY');
    });
    expect(calls.length).toBeGreaterThan(afterA);
  });

  it('never calls ssh for a repository without ssh credentials', async () => {
    const ssh = fakeSsh();
    const remote = createGitopsRemote();
    cleanups.push(() => remote.cleanup());
    await commitChange(request(remote.url, remote.cacheDir, { env: { PATH: `${ssh.bin}:${process.env.PATH}`, HOME: remote.root } }));
    expect(() => ssh.calls()).toThrow(/ENOENT/);
  });
});
