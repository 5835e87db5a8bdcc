// OpenSSH's client tools for verified identities: `ssh-keygen -Y` signs and verifies decisions (the worker and
// `promenade approve --key`), and the identity tests sign through a real `ssh-agent`. Both come from Debian's
// openssh-client: found on PATH, else installed with apt-get when running as root, else one line saying how to get
// them. Answers with the path of ssh-keygen. Nothing is downloaded outside the package manager.
import { findOnPath } from '../src/stack/executables.js';
import { aptInstaller, ToolMissingError, type EnsureOptions, type Installer } from './ensure-tool.js';

const TOOLS = ['ssh-keygen', 'ssh-agent'] as const;

export interface EnsureOpenSshOptions extends EnsureOptions {
  /** How to install when something is missing; null when this machine gives us no way (the default decides). */
  install?: Installer | null;
}

const named = (missing: string[]) => `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'}`;

/** The tools still missing from PATH, or the path of ssh-keygen when none is. */
async function find(env: NodeJS.ProcessEnv): Promise<{ keygen: string } | { missing: string[] }> {
  const found = await Promise.all(TOOLS.map(async (tool) => [tool, await findOnPath([tool], env)] as const));
  const missing = found.filter(([, path]) => !path).map(([tool]) => tool);
  return missing.length > 0 ? { missing } : { keygen: found[0][1]! };
}

export async function ensure(options: EnsureOpenSshOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const first = await find(env);
  if ('keygen' in first) return first.keygen;
  const install = options.install === undefined ? await aptInstaller(env, ['openssh-client'], 'for verified identities') : options.install;
  if (!install) {
    throw new ToolMissingError(`${named(first.missing)} not on PATH (verified identities sign and check decisions with it): install OpenSSH's client tools (apt-get install openssh-client, brew install openssh)`);
  }
  await install(log);
  const after = await find(env);
  if ('missing' in after) throw new ToolMissingError(`openssh-client was installed but ${named(after.missing)} still not on PATH: add its directory (usually /usr/bin) to PATH`);
  return after.keygen;
}
