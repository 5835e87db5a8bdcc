// Prometheus for the verification tests (a real server scraping a metrics endpoint the test controls):
// PROMENADE_PROMETHEUS, else `prometheus` on PATH, else Debian's `prometheus` package through apt-get when running
// as root, else one line saying how to get it. Nothing is downloaded outside the package manager.
import { spawn } from 'node:child_process';
import { findOnPath, isExecutable } from '../src/stack/executables.js';
import { ToolMissingError, type EnsureOptions } from './ensure-tool.js';

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout stays free for the answer: the package manager's chatter goes to stderr.
    const child = spawn(command, args, { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`))));
  });
}

export interface EnsurePrometheusOptions extends EnsureOptions {
  /** How to install when nothing is found; null when this machine gives us no way (the default decides). */
  install?: ((log: (line: string) => void) => Promise<void>) | null;
}

/** apt-get as root: the one package manager we use unasked (a Debian/Ubuntu CI machine or container). */
async function aptInstaller(env: NodeJS.ProcessEnv): Promise<EnsurePrometheusOptions['install']> {
  if (process.getuid?.() !== 0) return null;
  const aptGet = await findOnPath(['apt-get'], env);
  if (!aptGet) return null;
  return async (log) => {
    log('Installing Prometheus with apt-get (once, for the verification tests)...');
    await run(aptGet, ['update'], env);
    await run(aptGet, ['install', '-y', '--no-install-recommends', 'prometheus'], env);
  };
}

export async function ensure(options: EnsurePrometheusOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const configured = env.PROMENADE_PROMETHEUS;
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new ToolMissingError(`PROMENADE_PROMETHEUS=${configured} is not an executable file: point it at prometheus, or unset it`);
  }
  const found = await findOnPath(['prometheus'], env);
  if (found) return found;
  const install = options.install === undefined ? await aptInstaller(env) : options.install;
  if (!install) {
    throw new ToolMissingError('prometheus (for the verification tests) is not on PATH and PROMENADE_PROMETHEUS is unset: install it (apt-get install prometheus) or set PROMENADE_PROMETHEUS=/path/to/prometheus');
  }
  await install(log);
  const installed = await findOnPath(['prometheus'], env);
  if (!installed) throw new ToolMissingError('prometheus was installed but is not on PATH; set PROMENADE_PROMETHEUS=/path/to/prometheus');
  return installed;
}
