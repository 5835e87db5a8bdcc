// Finding a program the way a shell would (PATH, then known install locations), without running it: shared by
// the Temporal CLI lookup and the repository's scripts/ensure-<tool> set-up scripts.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `commands` found on PATH, as an absolute path. */
export async function findOnPath(commands: string[], env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const command of commands) {
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (dir && (await isExecutable(join(dir, command)))) return join(dir, command);
    }
  }
  return undefined;
}
