// The ID token a promotion's requester sends to prove who they are: CI's own OpenID Connect token where the CI
// system offers one (GitHub Actions on request; GitLab through `id_tokens:` in the job), or a token from a file.
// Approvers send theirs the same way (a file or PROMENADE_ID_TOKEN).
import { readFile } from 'node:fs/promises';

export const ID_TOKEN_ENV = 'PROMENADE_ID_TOKEN';
export const ID_TOKEN_AUDIENCE_ENV = 'PROMENADE_ID_TOKEN_AUDIENCE';
export const DEFAULT_ID_TOKEN_AUDIENCE = 'promenade';
const MAX_TOKEN = 16 * 1024;

export interface FoundIdToken {
  token: string;
  /** Where it came from, for the CLI's one line (never the token itself). */
  source: string;
}

export class IdTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdTokenError';
  }
}

/**
 * The token to send, from the first of: `file`, PROMENADE_ID_TOKEN (what a GitLab job's `id_tokens:` sets), GitHub
 * Actions' token endpoint (with `permissions: id-token: write`). Undefined when none is available.
 */
export async function findIdToken({ file, env = process.env, githubActions = true }: { file?: string; env?: NodeJS.ProcessEnv; githubActions?: boolean }): Promise<FoundIdToken | undefined> {
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new IdTokenError(`--id-token-file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return { token: checked(text.trim(), `--id-token-file ${file}`), source: file };
  }
  const fromEnv = env[ID_TOKEN_ENV]?.trim();
  if (fromEnv) return { token: checked(fromEnv, ID_TOKEN_ENV), source: ID_TOKEN_ENV };
  if (githubActions && env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    return { token: await githubActionsToken(env), source: 'GitHub Actions' };
  }
  return undefined;
}

/** GitHub Actions' OIDC token for the audience the workers expect (docs: "Configuring OpenID Connect in cloud providers"). */
async function githubActionsToken(env: NodeJS.ProcessEnv): Promise<string> {
  const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL!);
  url.searchParams.set('audience', env[ID_TOKEN_AUDIENCE_ENV]?.trim() || DEFAULT_ID_TOKEN_AUDIENCE);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new IdTokenError(`GitHub Actions' ID token endpoint cannot be reached: ${(err as Error).message}`);
  }
  if (!response.ok) throw new IdTokenError(`GitHub Actions refused an ID token (HTTP ${response.status}): does the job have "permissions: id-token: write"?`);
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (typeof body.value !== 'string') throw new IdTokenError('GitHub Actions answered without an ID token');
  return checked(body.value, 'GitHub Actions');
}

function checked(token: string, from: string): string {
  if (token.length > MAX_TOKEN || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) throw new IdTokenError(`${from} does not hold an ID token (a JWT)`);
  return token;
}
