// Who a verified identity may be at a gate, and how commits and status name it. Pure.
import { describe, expect, it } from 'vitest';
import { identityMatches, identityName, identityTrailer, proofText, sameSubject, type VerifiedIdentity } from '../../src/identity/verified-identity.js';

const alice: VerifiedIdentity = { mechanism: 'ssh', subject: 'Alice@Example.com', displayName: 'Alice', email: 'alice@example.com', fingerprint: 'SHA256:abc', groups: [] };
const frank: VerifiedIdentity = { mechanism: 'oidc', subject: 'frank', displayName: 'frank', issuer: 'https://login.example.com', groups: ['release-managers'] };

describe('a verified identity at a gate', () => {
  it('matches a listed person without regard to case, or a group its token names', () => {
    expect(identityMatches(alice, ['bob@example.com', 'alice@example.com'])).toBe(true);
    expect(identityMatches(alice, ['bob@example.com'], ['sre'])).toBe(false);
    expect(identityMatches(frank, ['alice@example.com'], ['release-managers'])).toBe(true);
    expect(identityMatches(frank, ['alice@example.com'], ['sre'])).toBe(false);
    expect(sameSubject('Alice@Example.com', 'alice@example.com')).toBe(true);
  });

  it('admits anyone only when the gate lists nobody and names no group', () => {
    expect(identityMatches(frank, [])).toBe(true);
    // A group whose members only the identity provider knows leaves the list empty: that is not "anyone".
    expect(identityMatches(alice, [], ['release-managers'])).toBe(false);
  });

  it('is named with its proof', () => {
    expect(identityTrailer(alice)).toBe('Alice <alice@example.com> (ssh SHA256:abc)');
    expect(identityName(frank)).toBe('frank');
    expect(proofText(frank)).toBe('oidc https://login.example.com');
  });
});
