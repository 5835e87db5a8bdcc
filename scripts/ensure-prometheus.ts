// Prometheus for the verification tests (a real server scraping a metrics endpoint the test controls):
// PROMENADE_PROMETHEUS, else `prometheus` on PATH, else Debian's `prometheus` package through apt-get when running
// as root, else one line saying how to get it. Nothing is downloaded outside the package manager.
import { findOnPath, isExecutable } from '../src/stack/executables.js';
import { aptInstaller, ToolMissingError, type EnsureOptions, type Installer } from './ensure-tool.js';

export interface EnsurePrometheusOptions extends EnsureOptions {
  /** How to install when nothing is found; null when this machine gives us no way (the default decides). */
  install?: Installer | null;
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
  const install = options.install === undefined ? await aptInstaller(env, ['prometheus'], 'for the verification tests') : options.install;
  if (!install) {
    throw new ToolMissingError('prometheus (for the verification tests) is not on PATH and PROMENADE_PROMETHEUS is unset: install it (apt-get install prometheus) or set PROMENADE_PROMETHEUS=/path/to/prometheus');
  }
  await install(log);
  const installed = await findOnPath(['prometheus'], env);
  if (!installed) throw new ToolMissingError('prometheus was installed but is not on PATH; set PROMENADE_PROMETHEUS=/path/to/prometheus');
  return installed;
}
