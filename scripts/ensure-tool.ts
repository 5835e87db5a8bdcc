// The contract every `scripts/ensure-<tool>.ts` keeps (see scripts/README.md): find the tool or install it,
// and answer with what a caller needs to use it. One module per tool, so .ci/run, the test setup and
// `npm start` install through the same code and a machine is set up the same way whoever asks first.
import { spawn } from 'node:child_process';
import { findOnPath } from '../src/stack/executables.js';

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress for a person (installs can take minutes); never the answer itself. */
  log?: (line: string) => void;
}

/** Finds or installs the tool; resolves to its absolute path (or, for a service, the address to reach it). */
export type Ensure = (options?: EnsureOptions) => Promise<string>;

/** The tool is missing and cannot be installed here: the message is one line that says what to do. */
export class ToolMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolMissingError';
  }
}

/** Installs what is missing, with progress lines for a person. */
export type Installer = (log: (line: string) => void) => Promise<void>;

/**
 * apt-get as root, the one package manager we use unasked (a Debian/Ubuntu CI machine or container); null when
 * this machine gives us no such way, so the caller says in one line how to get the tool.
 */
export async function aptInstaller(env: NodeJS.ProcessEnv, packages: string[], purpose: string): Promise<Installer | null> {
  if (process.getuid?.() !== 0) return null;
  const aptGet = await findOnPath(['apt-get'], env);
  if (!aptGet) return null;
  return async (log) => {
    log(`Installing ${packages.join(', ')} with apt-get (once, ${purpose})...`);
    await run(aptGet, ['update'], env);
    await run(aptGet, ['install', '-y', '--no-install-recommends', ...packages], env);
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout stays free for the answer: the package manager's chatter goes to stderr.
    const child = spawn(command, args, { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`))));
  });
}
