// The credential `promenade approve|reject` attaches to a decision: an SSH signature over the canonical statement
// (a key file, a key in the ssh-agent) or an ID token (a file or PROMENADE_ID_TOKEN). What is signed is built from
// the running promotion itself (its ID, run, open gate and image), so the signature fits that decision only.
import { findIdToken, IdTokenError } from '../identity/ci-id-token.js';
import { canonicalStatement, signedAtOf, type DecisionStatement } from '../identity/decision-statement.js';
import { agentKeys, signStatement, type SigningKey } from '../identity/ssh-signature.js';
import type { Credential } from '../identity/verified-identity.js';
import { UsageError } from './args.js';

export interface CredentialFlags {
  key?: string;
  agent?: boolean;
  'id-token-file'?: string;
}

export const CREDENTIAL_FLAGS = {
  key: { type: 'string' },
  agent: { type: 'boolean' },
  'id-token-file': { type: 'string' },
} as const;

/** Which credential the flags ask for; an ID token in PROMENADE_ID_TOKEN counts when no flag names one. */
export function credentialKind(flags: CredentialFlags, env: NodeJS.ProcessEnv): 'ssh' | 'oidc' | undefined {
  const chosen = [flags.key && '--key', flags.agent && '--agent', flags['id-token-file'] && '--id-token-file'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} each name a credential: give one`);
  if (flags.key || flags.agent) return 'ssh';
  if (flags['id-token-file'] || env.PROMENADE_ID_TOKEN?.trim()) return 'oidc';
  return undefined;
}

export async function decisionCredential(
  flags: CredentialFlags,
  statement: Omit<DecisionStatement, 'signedAt'>,
  { env = process.env, now = new Date() }: { env?: NodeJS.ProcessEnv; now?: Date } = {},
): Promise<Credential | undefined> {
  const kind = credentialKind(flags, env);
  if (kind === 'oidc') {
    try {
      const found = await findIdToken({ file: flags['id-token-file'], env, githubActions: false });
      return found ? { kind: 'oidc', token: found.token } : undefined;
    } catch (err) {
      if (err instanceof IdTokenError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (kind !== 'ssh') return undefined;
  let key: SigningKey;
  if (flags.key?.endsWith('.pub')) {
    // A public key file: its private half is in the agent.
    const { readFile } = await import('node:fs/promises');
    key = { agentPublicKey: (await readFile(flags.key, 'utf8')).trim() };
  } else if (flags.key) key = { file: flags.key };
  else {
    const [first] = await agentKeys({ env });
    if (!first) throw new UsageError('--agent: no ssh-agent with a key (SSH_AUTH_SOCK unset, or ssh-add -L lists none)');
    key = { agentPublicKey: first };
  }
  const signedAt = signedAtOf(now);
  const signature = await signStatement(canonicalStatement({ ...statement, signedAt }), key, { env });
  return { kind: 'ssh', signature, signedAt };
}
