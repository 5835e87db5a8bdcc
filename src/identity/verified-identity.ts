// What a decision or a promotion request carries to prove who sent it, and what promenade knows once it has checked
// that proof. Types and pure helpers only: workflow code imports them.

/**
 * An SSH signature over the canonical decision statement (see decision-statement.ts), or an OpenID Connect ID token.
 * Both are public once sent: a signature can be re-verified by anyone and proves only this decision; an ID token is
 * accepted once across all promotions and only while fresh.
 */
export type Credential =
  | {
      kind: 'ssh';
      /** The body of `ssh-keygen -Y sign`'s armoured output: base64 on one line (armour and line breaks removed). */
      signature: string;
      /** The `signed-at` of the statement that was signed. */
      signedAt: string;
    }
  | { kind: 'oidc'; token: string };

export type Mechanism = Credential['kind'];

export interface VerifiedIdentity {
  mechanism: Mechanism;
  /** Who this is, compared for self-approval and matched against approver lists: an SSH principal, or the issuer's person claim. */
  subject: string;
  /** For people to read: the allowed-signers line's comment or the token's `name`, else the subject. */
  displayName: string;
  email?: string;
  /** OIDC: the token's issuer. */
  issuer?: string;
  /** SSH: the signing key's fingerprint (`SHA256:...`). */
  fingerprint?: string;
  /** Groups this identity belongs to: the worker's configured groups, plus the token's groups claim. */
  groups: string[];
}

/** The outcome of checking a credential: the identity, or why it was refused. */
export type Verification = { verified: true; identity: VerifiedIdentity } | { verified: false; reason: string };

/** Approver lists name people (`alice@example.com`) or groups (`group:sre`). */
export const GROUP_PREFIX = 'group:';

/** Whether a verified identity is one of `approvers` (an empty list admits anyone). */
export function identityMatches(identity: VerifiedIdentity, approvers: readonly string[]): boolean {
  if (approvers.length === 0) return true;
  return approvers.some((entry) =>
    entry.startsWith(GROUP_PREFIX) ? identity.groups.includes(entry.slice(GROUP_PREFIX.length)) : sameSubject(entry, identity.subject),
  );
}

/**
 * Two verified identities are the same person when their subjects are equal, compared without case: subjects are
 * e-mail addresses or user names, and `Alice@Example.com` signing with a key and `alice@example.com` logging in
 * through the identity provider are one person.
 */
export function sameSubject(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The commit trailer value: `Alice <alice@example.com> (ssh SHA256:...)` or `Alice <alice@example.com> (oidc https://issuer)`. */
export function identityTrailer(identity: VerifiedIdentity): string {
  const address = identity.email ?? (identity.subject.includes('@') ? identity.subject : undefined);
  const who = address ? (identity.displayName && identity.displayName !== address ? `${identity.displayName} <${address}>` : `<${address}>`) : identity.displayName || identity.subject;
  const proof = identity.mechanism === 'ssh' ? `ssh ${identity.fingerprint ?? ''}` : `oidc ${identity.issuer ?? ''}`;
  return `${who} (${proof.trim()})`;
}
