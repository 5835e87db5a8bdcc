import { startArgoCDSimulator, type ArgoCDSimulatorOptions } from './index.js';

const USAGE = `usage: promenade argocd-sim --port <p> [--host <addr>] [--state-dir <dir>] [--admin-password <pw>]
                          [--reconcile-interval <ms>] [--rollout-step <ms>] [--progress-deadline <ms>]
                          [--admin-key <key>] [--repo <url>=<path>]...`;

export class CommandLineError extends Error {}

/** Parses `promenade argocd-sim` flags; throws CommandLineError naming the offending flag. */
export function parseArgoCDSimulatorArgs(argv: string[]): ArgoCDSimulatorOptions {
  const opts: ArgoCDSimulatorOptions = {};
  const number = (flag: string, value: string | undefined, min: number): number => {
    if (value === undefined) throw new CommandLineError(`${flag} needs a value\n${USAGE}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new CommandLineError(`${flag}: expected an integer >= ${min}, got '${value}'`);
    return n;
  };
  const text = (flag: string, value: string | undefined): string => {
    if (value === undefined || value === '' || value.startsWith('--')) throw new CommandLineError(`${flag} needs a value\n${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--port': {
        const port = number(flag, value(), 0);
        if (port > 65535) throw new CommandLineError(`--port: expected 0..65535, got '${port}'`);
        opts.port = port;
        break;
      }
      case '--host':
        opts.host = text(flag, value());
        break;
      case '--state-dir':
        opts.stateDir = text(flag, value());
        break;
      case '--admin-password':
        opts.adminPassword = text(flag, value());
        break;
      case '--admin-key':
        opts.adminKey = text(flag, value());
        break;
      case '--reconcile-interval':
        opts.reconcileIntervalMs = number(flag, value(), 1);
        break;
      case '--rollout-step':
        opts.rolloutStepMs = number(flag, value(), 1);
        break;
      case '--progress-deadline':
        opts.progressDeadlineMs = number(flag, value(), 1);
        break;
      case '--repo': {
        const spec = text(flag, value());
        const at = spec.lastIndexOf('=');
        if (at <= 0) throw new CommandLineError(`--repo: expected <url>=<path>, got '${spec}'`);
        (opts.repositories ??= {})[spec.slice(0, at)] = spec.slice(at + 1);
        break;
      }
      case '--help':
      case '-h':
        throw new CommandLineError(USAGE);
      default:
        throw new CommandLineError(`unknown flag '${arg}'\n${USAGE}`);
    }
  }
  return opts;
}

/** `promenade argocd-sim ...`: runs the simulator until SIGINT/SIGTERM. */
export async function runArgoCDSimulatorCommand(argv: string[]): Promise<void> {
  const opts = parseArgoCDSimulatorArgs(argv);
  const sim = await startArgoCDSimulator(opts);
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
}
