// redis-server for the real Argo CD lane (Argo CD's cache): PROMENADE_REDIS_SERVER, else redis-server on PATH
// (or in /usr/bin, /usr/sbin), else `apt-get install redis-server` when running as root, else one line saying how.
import { spawn } from 'node:child_process';
import { findOnPath, isExecutable } from '../src/stack/executables.js';
import { ToolMissingError, type EnsureOptions } from './ensure-tool.js';

async function find(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await findOnPath(['redis-server'], env)) ?? (await findOnPath(['redis-server'], { PATH: '/usr/bin:/usr/sbin' }));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`))));
  });
}

export async function ensure(options: EnsureOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const configured = env.PROMENADE_REDIS_SERVER;
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new ToolMissingError(`PROMENADE_REDIS_SERVER=${configured} is not an executable file: point it at redis-server, or unset it`);
  }
  const found = await find(env);
  if (found) return found;
  const aptGet = process.getuid?.() === 0 ? await findOnPath(['apt-get'], env) : undefined;
  if (!aptGet) throw new ToolMissingError('redis-server (for the real Argo CD lane) is not on PATH: install it (apt-get install redis-server, brew install redis) or set PROMENADE_REDIS_SERVER');
  log('Installing redis-server with apt-get (once, for the real Argo CD lane)...');
  await run(aptGet, ['update'], env);
  await run(aptGet, ['install', '-y', '--no-install-recommends', 'redis-server'], env);
  const installed = await find(env);
  if (!installed) throw new ToolMissingError('redis-server was installed but is not on PATH; set PROMENADE_REDIS_SERVER=/path/to/redis-server');
  return installed;
}
