// OpenSSH's client tools for verified identities: `ssh-keygen -Y` signs and verifies decisions (the worker and
// `promenade approve --key`), and the identity tests sign through a real `ssh-agent`. Both come from Debian's
// openssh-client: found on PATH, else installed with apt-get when running as root, else one line saying how to get
// them. Answers with the path of ssh-keygen. Nothing is downloaded outside the package manager.
import { spawn } from 'node:child_process';
import { findOnPath } from '../src/stack/executables.js';
import { ToolMissingError, type EnsureOptions } from './ensure-tool.js';

const TOOLS = ['ssh-keygen', 'ssh-agent'] as const;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout stays free for the answer: the package manager's chatter goes to stderr.
    const child = spawn(command, args, { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`))));
  });
}

export interface EnsureOpenSshOptions extends EnsureOptions {
  /** How to install when something is missing; null when this machine gives us no way (the default decides). */
  install?: ((log: (line: string) => void) => Promise<void>) | null;
}

/** apt-get as root: the one package manager we use unasked (a Debian/Ubuntu CI machine or container). */
async function aptInstaller(env: NodeJS.ProcessEnv): Promise<EnsureOpenSshOptions['install']> {
  if (process.getuid?.() !== 0) return null;
  const aptGet = await findOnPath(['apt-get'], env);
  if (!aptGet) return null;
  return async (log) => {
    log('Installing openssh-client with apt-get (once, for ssh-keygen and ssh-agent)...');
    await run(aptGet, ['update'], env);
    await run(aptGet, ['install', '-y', '--no-install-recommends', 'openssh-client'], env);
  };
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
  const install = options.install === undefined ? await aptInstaller(env) : options.install;
  if (!install) {
    throw new ToolMissingError(`${named(first.missing)} not on PATH (verified identities sign and check decisions with it): install OpenSSH's client tools (apt-get install openssh-client, brew install openssh)`);
  }
  await install(log);
  const after = await find(env);
  if ('missing' in after) throw new ToolMissingError(`openssh-client was installed but ${named(after.missing)} still not on PATH: add its directory (usually /usr/bin) to PATH`);
  return after.keygen;
}
