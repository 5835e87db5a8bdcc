// The worker's configuration file (PROMENADE_CONFIG): one YAML file for everything the worker's operators decide,
// as opposed to promenade.yaml, which anyone with push access to the GitOps repository edits. Secrets appear only
// as the names of the environment variables that hold them. The whole file is validated when the worker starts,
// and every problem is named at once; a worker with a bad file does not start.
//
// Each top-level section is read by its own module beside this one; a key that no section knows is refused.
// Without a file the worker runs in local mode (the `npm start` demo) and says so when it starts.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigProblems, InvalidWorkerConfigError } from './problems.js';
import { parseRepositories, type RepositoryConfig } from './repositories.js';
import { parseVerification, type VerificationConfig } from './verification.js';
import { parsePolicy, type PolicyFloor } from './policy.js';
import { parseIdentity, type IdentityConfig } from './identity.js';

export const WORKER_CONFIG_ENV = 'PROMENADE_CONFIG';
const MAX_BYTES = 1024 * 1024;

export interface WorkerConfig {
  /** The file it was read from, for messages. */
  source: string;
  /** The GitOps repositories the worker serves (./repositories.ts); absent: PROMENADE_REPOSITORY, if set. */
  repositories?: RepositoryConfig[];
  /** The floor every approval gate is held to; absent = no floor beyond promenade.yaml's own gates. */
  policy?: PolicyFloor;
  /** Where checks may go and what they may carry (absent: no http or prometheus check may run). */
  verification?: VerificationConfig;
  /** How decisions and requests are verified (./identity.ts); absent = identities are only asserted. */
  identity?: IdentityConfig;
}

/** The sections this version understands, in the order the documentation lists them. */
export const WORKER_CONFIG_SECTIONS: readonly string[] = ['repositories', 'policy', 'verification', 'identity'];

export function parseWorkerConfig(text: string, { source, env }: { source: string; env: NodeJS.ProcessEnv }): WorkerConfig {
  const problems = new ConfigProblems();
  if (Buffer.byteLength(text) > MAX_BYTES) throw new InvalidWorkerConfigError(source, [`the file is larger than ${MAX_BYTES} bytes`]);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new InvalidWorkerConfigError(source, doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`));
  let raw: unknown;
  try {
    // No aliases: an operator's file has no need of them, and they are how YAML bombs are built.
    raw = doc.toJS({ maxAliasCount: 0 }) ?? {};
  } catch (err) {
    throw new InvalidWorkerConfigError(source, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const root = problems.mapping(raw, '(top level)');
  if (!root) throw new InvalidWorkerConfigError(source, problems.list);
  problems.onlyKeys(root, WORKER_CONFIG_SECTIONS, '');
  const config: WorkerConfig = { source };
  if (root.repositories !== undefined) config.repositories = parseRepositories(root.repositories, env, problems);
  if (root.verification !== undefined) config.verification = parseVerification(root.verification, env, problems);
  if (root.policy !== undefined) config.policy = parsePolicy(root.policy, problems);
  if (root.identity !== undefined) config.identity = parseIdentity(root.identity, problems);
  if (problems.list.length > 0) throw new InvalidWorkerConfigError(source, problems.list);
  return config;
}

/** Reads PROMENADE_CONFIG; undefined means local mode (no file configured). */
export async function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<WorkerConfig | undefined> {
  const path = env[WORKER_CONFIG_ENV]?.trim();
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidWorkerConfigError(`${WORKER_CONFIG_ENV}=${path}`, [`cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseWorkerConfig(text, { source: path, env });
}
