// Chromium for the Web UI browser test (playwright-core brings no browser): PROMENADE_CHROMIUM, else a
// Chromium or Chrome on PATH, else the system's package manager when we may use it (root with apt-get),
// else one line saying how to get one. Nothing is downloaded outside the package manager.
import { findOnPath, isExecutable } from '../src/stack/executables.js';
import { aptInstaller, ToolMissingError, type EnsureOptions, type Installer } from './ensure-tool.js';

export const CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

export interface EnsureChromiumOptions extends EnsureOptions {
  /** How to install when nothing is found; undefined when this machine gives us no way (the default decides). */
  install?: Installer | null;
}

export async function ensure(options: EnsureChromiumOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const configured = env.PROMENADE_CHROMIUM;
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new ToolMissingError(`PROMENADE_CHROMIUM=${configured} is not an executable file: point it at Chromium or Chrome, or unset it`);
  }
  const found = await findOnPath(CHROMIUM_COMMANDS, env);
  if (found) return found;
  const install = options.install === undefined ? await aptInstaller(env, ['chromium'], 'for the Web UI browser test') : options.install;
  if (!install) {
    throw new ToolMissingError(
      `Chromium (for the Web UI browser test) is not on PATH and PROMENADE_CHROMIUM is unset: install it (apt-get install chromium, dnf install chromium, brew install --cask chromium) or set PROMENADE_CHROMIUM=/path/to/chromium`,
    );
  }
  await install(log);
  const installed = await findOnPath(CHROMIUM_COMMANDS, env);
  if (!installed) throw new ToolMissingError(`Chromium was installed but none of ${CHROMIUM_COMMANDS.join(', ')} is on PATH; set PROMENADE_CHROMIUM=/path/to/chromium`);
  return installed;
}
