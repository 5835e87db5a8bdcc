import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OidcIssuerConfig } from '../../src/config/worker-config/identity.js';
import { IssuerUnavailableError, OidcVerifier } from '../../src/identity/oidc-token.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../support/openid-provider.js';

let idp: TestOpenIdProvider;
let other: TestOpenIdProvider;
let verifier: OidcVerifier;
const accounts = {
  alice: { email: 'alice@example.com', name: 'Alice Example', groups: ['sre', 'oncall'] },
  bob: { email: 'bob@example.com', emailVerified: false },
  carol: {},
};
const issuerConfig = (issuer: string, more: Partial<OidcIssuerConfig> = {}): OidcIssuerConfig => ({
  issuer,
  audience: 'promenade',
  subjectClaim: 'email',
  groupsClaim: 'groups',
  maxTokenAgeSeconds: 600,
  for: ['approvers', 'requesters'],
  ...more,
});

beforeAll(async () => {
  [idp, other] = await Promise.all([
    startOpenIdProvider({ accounts, clients: ['promenade', 'another-app'] }),
    startOpenIdProvider({ accounts }),
  ]);
  verifier = new OidcVerifier([issuerConfig(idp.issuer), issuerConfig(other.issuer, { subjectClaim: 'preferred_username', for: ['requesters'] })]);
});
afterAll(async () => {
  await Promise.all([idp?.close(), other?.close()]);
});

const now = () => Math.floor(Date.now() / 1000);
const refusal = async (token: string, purpose: 'approvers' | 'requesters' = 'approvers') => {
  const result = await verifier.verify(token, purpose);
  if (result.verified) throw new Error(`expected a refusal, got ${JSON.stringify(result.token)}`);
  return result.reason;
};

describe('OpenID Connect ID tokens from a real provider', () => {
  it('verifies a token from the code flow: person, name, e-mail, groups and issuer', async () => {
    const token = await idp.idToken('alice');
    const result = await verifier.verify(token, 'approvers');
    expect(result).toEqual({
      verified: true,
      token: {
        issuer: idp.issuer,
        subject: 'alice@example.com',
        displayName: 'Alice Example',
        email: 'alice@example.com',
        groups: ['sre', 'oncall'],
        useKey: expect.stringMatching(/^[0-9a-f]{64}$/),
        acceptableUntil: expect.any(Number),
      },
    });
  });

  it('takes the person from the claim the issuer is configured with', async () => {
    const result = await verifier.verify(await other.idToken('carol'), 'requesters');
    expect(result).toMatchObject({ verified: true, token: { subject: 'carol', displayName: 'carol', groups: [] } });
  });

  it('gives every token its own single-use key', async () => {
    const [a, b] = await Promise.all([idp.idToken('alice'), idp.idToken('alice')]);
    const keyOf = async (t: string) => ((await verifier.verify(t, 'approvers')) as { token: { useKey: string } }).token.useKey;
    expect(await keyOf(a)).not.toBe(await keyOf(b));
    expect(await keyOf(a)).toBe(await keyOf(a));
  });

  it('refuses a token issued to another client (audience)', async () => {
    expect(await refusal(await idp.idToken('alice', { client: 'another-app' }))).toMatch(/not meant for this worker: its audience is not promenade/);
  });

  it('refuses an issuer that is trusted only for requesters when an approver sends its token', async () => {
    expect(await refusal(await other.idToken('carol'))).toMatch(/is not trusted to vouch for approvers/);
  });

  it('refuses a person the issuer has not verified, or a token without the person claim', async () => {
    expect(await refusal(await idp.idToken('bob'))).toMatch(/e-mail bob@example.com is not verified/);
    expect(await refusal(await idp.idToken('carol'))).toMatch(/no usable email claim/);
  });

  it('refuses an issuer the worker does not trust', async () => {
    expect(await refusal(await idp.handMade({ iss: 'https://evil.example.com' }))).toMatch(/issuer "https:\/\/evil.example.com" is not trusted/);
  });

  it('refuses a token that claims one trusted issuer and is signed by another', async () => {
    // Both providers use the same kid, so the lookup finds a key and the signature check is what refuses.
    expect(await refusal(await idp.handMade({ iss: other.issuer, preferred_username: 'carol' }), 'requesters')).toMatch(/signature does not verify/);
  });

  it('refuses alg none', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: 'promenade', sub: 'alice', email: 'alice@example.com', iat: now(), exp: now() + 300 })}.`;
    expect(await refusal(token)).toMatch(/algorithm "none" is not allowed/);
  });

  it('refuses HS256 signed with the issuer\'s public key as the secret', async () => {
    const token = await idp.handMade({ email: 'alice@example.com' }, { alg: 'HS256', key: new TextEncoder().encode(idp.publicKeyPem) });
    expect(await refusal(token)).toMatch(/algorithm "HS256" is not allowed/);
  });

  it('refuses an unknown key ID, refetching the issuer\'s keys at most once per cooldown', async () => {
    await verifier.verify(await idp.idToken('alice'), 'approvers');
    const before = idp.jwksRequests();
    const { privateKey } = await generateKeyPair('RS256');
    for (let i = 0; i < 5; i++) {
      const token = await idp.handMade({ email: 'alice@example.com' }, { kid: `made-up-${i}`, key: privateKey });
      expect(await refusal(token)).toMatch(/no key of .* matches the ID token's key ID/);
    }
    expect(idp.jwksRequests() - before).toBeLessThanOrEqual(1);
  });

  it('refuses a token signed with the right kid and the wrong key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    expect(await refusal(await idp.handMade({ email: 'alice@example.com' }, { key: privateKey }))).toMatch(/signature does not verify/);
  });

  it.each([
    ['expired', () => ({ iat: now() - 500, exp: now() - 200 }), /has expired/],
    ['not yet valid', () => ({ nbf: now() + 600 }), /not valid yet/],
    ['too old', () => ({ iat: now() - 3600, exp: now() + 300 }), /too old: issued more than 600s ago/],
    ['issued in the future', () => ({ iat: now() + 600, exp: now() + 900 }), /issued in the future/],
    ['without exp', () => ({ exp: undefined }), /exp claim is missing or wrong/],
  ])('refuses a token that is %s', async (_what, claims, reason) => {
    expect(await refusal(await idp.handMade({ email: 'alice@example.com', ...claims() }))).toMatch(reason);
  });

  it('accepts small clock differences', async () => {
    const result = await verifier.verify(await idp.handMade({ email: 'alice@example.com', iat: now() + 20, nbf: now() + 20 }), 'approvers');
    expect(result.verified).toBe(true);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['not a JWT', 'hello'],
    ['not JSON inside', 'aGVsbG8.d29ybGQ.c2ln'],
  ])('refuses a token that is %s', async (_what, token) => {
    expect((await verifier.verify(token, 'approvers')).verified).toBe(false);
  });

  it('says the issuer is unavailable (retryable) rather than refusing, when discovery fails', async () => {
    const down = new OidcVerifier([issuerConfig('http://127.0.0.1:9')]);
    const token = await idp.handMade({ iss: 'http://127.0.0.1:9', email: 'alice@example.com' });
    await expect(down.verify(token, 'approvers')).rejects.toBeInstanceOf(IssuerUnavailableError);
  });
});
