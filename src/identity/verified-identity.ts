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
  /** The groups the issuer's groups claim names (OIDC); empty for SSH, whose principals policy.groups lists by name. */
  groups: string[];
}

/** The outcome of checking a credential: the identity, or why it was refused. */
export type Verification = { verified: true; identity: VerifiedIdentity } | { verified: false; reason: string };

/**
 * Whether a verified identity may decide at a gate: its subject is one of `approvers` (the people listed, groups
 * already expanded from policy.groups), or its issuer's groups claim names one of the gate's `groups`. Nobody listed
 * and no group named admits anyone.
 */
export function identityMatches(identity: VerifiedIdentity, approvers: readonly string[], groups: readonly string[] = []): boolean {
  if (approvers.length === 0 && groups.length === 0) return true;
  return approvers.some((person) => sameSubject(person, identity.subject)) || identity.groups.some((g) => groups.includes(g));
}

/**
 * Two verified identities are the same person when their subjects are equal, compared without case: subjects are
 * e-mail addresses or user names, and `Alice@Example.com` signing with a key and `alice@example.com` logging in
 * through the identity provider are one person.
 */
export function sameSubject(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The person as a commit names them: `Alice <alice@example.com>`, `<alice@example.com>` or `alice`. */
export function identityName(identity: VerifiedIdentity): string {
  const address = identity.email ?? (identity.subject.includes('@') ? identity.subject : undefined);
  if (!address) return identity.displayName || identity.subject;
  return identity.displayName && identity.displayName !== address ? `${identity.displayName} <${address}>` : `<${address}>`;
}

/** How the identity was proved: `ssh SHA256:...` or `oidc https://issuer`. */
export function proofText(identity: VerifiedIdentity): string {
  return (identity.mechanism === 'ssh' ? `ssh ${identity.fingerprint ?? ''}` : `oidc ${identity.issuer ?? ''}`).trim();
}

/** The commit trailer value: `Alice <alice@example.com> (ssh SHA256:...)` or `Alice <alice@example.com> (oidc https://issuer)`. */
export function identityTrailer(identity: VerifiedIdentity): string {
  return `${identityName(identity)} (${proofText(identity)})`;
}
