// The shape a credential must have before anything checks what it proves: refused at once (by the update's
// validator, on a signal's arrival) so nothing oversized or malformed is sent to ssh-keygen or an issuer. Pure and
// free of Node built-ins: workflow code imports it.
import { isSignedAt } from './decision-statement.js';

/** An RSA-8192 signature is under 2 KB of base64; anything much larger is not a signature. */
const MAX_SIGNATURE = 4096;
const MAX_TOKEN = 16 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Why a carried signature cannot be one, or undefined. */
export function signatureBodyProblem(body: unknown): string | undefined {
  if (typeof body !== 'string' || body === '') return 'must be a non-empty string (the base64 body of an SSH signature)';
  if (body.length > MAX_SIGNATURE) return `must be at most ${MAX_SIGNATURE} characters`;
  if (!BASE64.test(body) || body.length % 4 !== 0) return 'must be base64 (the SSH signature without its armour lines)';
  // Every SSH signature blob starts with the magic "SSHSIG" (PROTOCOL.sshsig), which is "U1NIU0lH" in base64.
  if (!body.startsWith('U1NIU0lH')) return 'is not an SSH signature (no SSHSIG preamble)';
  return undefined;
}

/** Why `credential` is not a well-formed credential, naming the field; undefined when it is. */
export function credentialProblem(credential: unknown): string | undefined {
  if (credential === null || typeof credential !== 'object' || Array.isArray(credential)) return 'credential must be an object';
  const c = credential as Record<string, unknown>;
  if (c.kind === 'ssh') {
    const extra = Object.keys(c).find((k) => !['kind', 'signature', 'signedAt'].includes(k));
    if (extra) return `credential.${extra} is not a field of an SSH credential (kind, signature, signedAt)`;
    const problem = signatureBodyProblem(c.signature);
    if (problem) return `credential.signature ${problem}`;
    if (!isSignedAt(c.signedAt)) return 'credential.signedAt must be a UTC time to the second, such as 2026-11-30T21:12:30Z';
    return undefined;
  }
  if (c.kind === 'oidc') {
    const extra = Object.keys(c).find((k) => !['kind', 'token'].includes(k));
    if (extra) return `credential.${extra} is not a field of an ID token credential (kind, token)`;
    if (typeof c.token !== 'string' || c.token.length > MAX_TOKEN || !COMPACT_JWS.test(c.token)) return 'credential.token must be an ID token (a signed JWT)';
    return undefined;
  }
  return 'credential.kind must be "ssh" (a signed decision) or "oidc" (an ID token)';
}
