import { describe, expect, it } from 'vitest';
import { parseArgoCDSimulatorArgs } from '../../src/argocd-sim/command.js';

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
  });

  it('names the offending flag', () => {
    expect(() => parseArgoCDSimulatorArgs(['--port', 'abc'])).toThrow(/^--port: expected an integer/);
    expect(() => parseArgoCDSimulatorArgs(['--port', '70000'])).toThrow(/^--port: expected 0\.\.65535/);
    expect(() => parseArgoCDSimulatorArgs(['--rollout-step'])).toThrow(/^--rollout-step needs a value/);
    expect(() => parseArgoCDSimulatorArgs(['--state-dir', '--port'])).toThrow(/^--state-dir needs a value/);
    expect(() => parseArgoCDSimulatorArgs(['--reconcile-interval', '0'])).toThrow(/^--reconcile-interval: expected an integer >= 1/);
    expect(() => parseArgoCDSimulatorArgs(['--bogus'])).toThrow(/^unknown flag '--bogus'/);
  });
});

describe('runArgoCDSimulatorCommand', () => {
  it('prints the URL, serves the API and stops cleanly on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const entry = fileURLToPath(new URL('../../src/argocd-sim/command.ts', import.meta.url));
    const script = `import(${JSON.stringify(entry)}).then((m) => m.runArgoCDSimulatorCommand(['--port', '0', '--admin-password', 'pw']))`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
