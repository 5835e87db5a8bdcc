import { describe, expect, it } from 'vitest';
import { parseArgoCDSimulatorArgs } from '../../src/cli/argocd-sim.js';
import { UsageError } from '../../src/cli/args.js';
import { BIN } from './run-cli.js';

describe('promenade argocd-sim flags', () => {
  it('parses every flag', () => {
    expect(
      parseArgoCDSimulatorArgs([
        '--port', '8080', '--state-dir', '/tmp/s', '--admin-password', 'pw', '--reconcile-interval=500',
        '--rollout-step', '50', '--progress-deadline', '2000', '--repo', 'https://github.com/example/gitops-repo=/srv/repo.git',
      ]),
    ).toEqual({
      port: 8080,
      stateDir: '/tmp/s',
      adminPassword: 'pw',
      reconcileIntervalMs: 500,
      rolloutStepMs: 50,
      progressDeadlineMs: 2000,
      repositories: { 'https://github.com/example/gitops-repo': '/srv/repo.git' },
    });
    expect(parseArgoCDSimulatorArgs(['--port', '0'])).toEqual({ port: 0 });
  });

  it.each([
    [['--port', 'abc'], /^--port must be a whole number from 0 to 65535, got "abc"$/],
    [['--port', '70000'], /^--port must be a whole number from 0 to 65535/],
    [['--rollout-step'], /^--rollout-step needs a value$/],
    [['--state-dir', '--port'], /^--state-dir needs a value/],
    [['--host='], /^--host needs a value$/],
    [['--reconcile-interval', '0'], /^--reconcile-interval must be a whole number of at least 1/],
    [['--repo', 'no-path'], /^--repo: expected <url>=<path>/],
    [['--bogus'], /^unknown flag --bogus \(known: --port, /],
  ])('%j is a usage error naming the flag', (argv, message) => {
    expect(() => parseArgoCDSimulatorArgs(argv)).toThrow(UsageError);
    expect(() => parseArgoCDSimulatorArgs(argv)).toThrow(message);
  });
});

describe('promenade argocd-sim', () => {
  it('prints the URL, serves the API and stops cleanly on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'argocd-sim', '--port', '0', '--admin-password', 'pw'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const login = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'pw' }),
    });
    expect(login.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/SIGTERM, stopping/);
  }, 30_000);
});
