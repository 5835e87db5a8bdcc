// redis-server for the real Argo CD lane (Argo CD's cache): PROMENADE_REDIS_SERVER, else redis-server on PATH
// (or in /usr/bin, /usr/sbin), else `apt-get install redis-server` when running as root, else one line saying how.
import { findOnPath, isExecutable } from '../src/stack/executables.js';
import { aptInstaller, ToolMissingError, type EnsureOptions } from './ensure-tool.js';

async function find(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await findOnPath(['redis-server'], env)) ?? (await findOnPath(['redis-server'], { PATH: '/usr/bin:/usr/sbin' }));
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
  const install = await aptInstaller(env, ['redis-server'], 'for the real Argo CD lane');
  if (!install) throw new ToolMissingError('redis-server (for the real Argo CD lane) is not on PATH: install it (apt-get install redis-server, brew install redis) or set PROMENADE_REDIS_SERVER');
  await install(log);
  const installed = await find(env);
  if (!installed) throw new ToolMissingError('redis-server was installed but is not on PATH; set PROMENADE_REDIS_SERVER=/path/to/redis-server');
  return installed;
}
