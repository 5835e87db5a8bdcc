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
