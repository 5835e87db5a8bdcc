// Finds the Temporal CLI (which carries the dev server) without downloading anything at run time:
// $TEMPORAL_CLI, then `temporal` on PATH, then a build cached outside the checkout, then a fresh
// `go install` into that cache. Fresh clones and CI share the cache, so the minutes-long build happens once.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promenadeCacheDir } from '../cache-dir.js';
import { findOnPath, isExecutable } from './executables.js';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export class TemporalCliNotFoundError extends Error {
  constructor(tried: string[]) {
    super(
      [
        'The Temporal CLI (it runs the local Temporal dev server) was not found, and Go is not installed to build it.',
        `Looked in: ${tried.join('; ')}.`,
        'Any one of these fixes it:',
        `  - install Go (https://go.dev/dl or your package manager, e.g. apt-get install golang) and run again: promenade builds ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} once;`,
        '  - install the Temporal CLI with your package manager (brew install temporal) and put it on PATH, or set TEMPORAL_CLI=/path/to/temporal;',
        '  - with Docker: docker compose up (see docker-compose.yml) and point TEMPORAL_ADDRESS at it.',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines while building (the first build takes minutes). */
  log?: (line: string) => void;
  /** Where to look for Go besides PATH (Go's own installer puts it in /usr/local/go). */
  goCandidates?: string[];
}

export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(promenadeCacheDir(env), 'temporal-cli', TEMPORAL_CLI_VERSION);
}

async function findGo(env: NodeJS.ProcessEnv, candidates: string[]): Promise<string | undefined> {
  const fromPath = await findOnPath(['go'], env);
  if (fromPath) return fromPath;
  for (const candidate of candidates) if (await isExecutable(candidate)) return candidate;
  return undefined;
}

export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const tried: string[] = [];

  if (env.TEMPORAL_CLI) {
    if (await isExecutable(env.TEMPORAL_CLI)) return env.TEMPORAL_CLI;
    throw new Error(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file; unset it or point it at the temporal binary.`);
  }
  tried.push('$TEMPORAL_CLI (unset)');

  const fromPath = await findOnPath(['temporal'], env);
  if (fromPath) return fromPath;
  tried.push('temporal on PATH');

  const cacheDir = temporalCliCacheDir(env);
  const cached = join(cacheDir, 'temporal');
  if (await isExecutable(cached)) return cached;
  tried.push(cached);

  const go = await findGo(env, options.goCandidates ?? ['/usr/local/go/bin/go']);
  if (!go) throw new TemporalCliNotFoundError(tried);

  await mkdir(cacheDir, { recursive: true });
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir} (once; takes a few minutes)...`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: cacheDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed with exit code ${code}`))));
  });
  if (!(await isExecutable(cached))) throw new Error(`go install finished but ${cached} is missing`);
  return cached;
}
