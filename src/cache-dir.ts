// Where promenade keeps what it can rebuild (the Temporal CLI build, workflow bundles): PROMENADE_CACHE_DIR, else
// promenade under the XDG cache directory. Never inside the checkout.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function promenadeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PROMENADE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'promenade');
}
