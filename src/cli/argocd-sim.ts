// `promenade argocd-sim`: runs the Argo CD API simulator (src/argocd-sim) as its own process until SIGINT or
// SIGTERM, for the local stack, docker-compose.yml and anyone who wants Argo CD's API without a cluster.
import { startArgoCDSimulator, type ArgoCDSimulatorOptions } from '../argocd-sim/index.js';
import { integerValue, parseCommandLine, UsageError } from './args.js';

const USAGE =
  'promenade argocd-sim --port <p> [--host <addr>] [--state-dir <dir>] [--admin-password <pw>] [--admin-key <key>] ' +
  '[--reconcile-interval <ms>] [--rollout-step <ms>] [--progress-deadline <ms>] [--crash-backoff <ms>] [--repo <url>=<path>]...';

/** Parses `promenade argocd-sim` flags; a UsageError names the offending flag. */
export function parseArgoCDSimulatorArgs(argv: string[]): ArgoCDSimulatorOptions {
  const { flags } = parseCommandLine(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'state-dir': { type: 'string' },
      'admin-password': { type: 'string' },
      'admin-key': { type: 'string' },
      'reconcile-interval': { type: 'string' },
      'rollout-step': { type: 'string' },
      'progress-deadline': { type: 'string' },
      'crash-backoff': { type: 'string' },
      repo: { type: 'string', multiple: true },
    },
    USAGE,
  );
  const text = (flag: string, value: string | undefined): string | undefined => {
    if (value === '') throw new UsageError(`--${flag} needs a value`);
    return value;
  };
  const ms = (flag: 'reconcile-interval' | 'rollout-step' | 'progress-deadline' | 'crash-backoff') => {
    const raw = flags[flag];
    return raw === undefined ? undefined : integerValue(`--${flag}`, raw, 1);
  };
  const opts: ArgoCDSimulatorOptions = {
    // Port 0 asks the system for a free port, which tests use.
    port: flags.port === undefined ? undefined : integerValue('--port', flags.port, 0, 65535),
    host: text('host', flags.host),
    stateDir: text('state-dir', flags['state-dir']),
    adminPassword: text('admin-password', flags['admin-password']),
    adminKey: text('admin-key', flags['admin-key']),
    reconcileIntervalMs: ms('reconcile-interval'),
    rolloutStepMs: ms('rollout-step'),
    progressDeadlineMs: ms('progress-deadline'),
    crashBackoffMs: ms('crash-backoff'),
  };
  for (const spec of flags.repo ?? []) {
    const at = spec.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`--repo: expected <url>=<path>, got "${spec}"`);
    (opts.repositories ??= {})[spec.slice(0, at)] = spec.slice(at + 1);
  }
  return Object.fromEntries(Object.entries(opts).filter(([, value]) => value !== undefined)) as ArgoCDSimulatorOptions;
}

export async function argocdSimCommand(argv: string[]): Promise<number> {
  const sim = await startArgoCDSimulator(parseArgoCDSimulatorArgs(argv));
  console.log(`argocd-sim listening on ${sim.url} (admin endpoint ${sim.adminUrl})`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      console.log(`argocd-sim: ${signal}, stopping`);
      sim.stop().then(resolve, (err: unknown) => {
        console.error('argocd-sim: stop failed:', err);
        resolve();
      });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  return 0;
}
