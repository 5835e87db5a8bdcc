// A real OpenID Provider for the tests (the `oidc-provider` package, certified by the OpenID Foundation) on a
// loopback port. ID tokens come from its authorization code flow with PKCE, driven the way a browser would: the
// authorization request, its development sign-in form, the consent form, the redirect with the code, the token
// request. Hand-made tokens (signed with the provider's own key, or another) are only for the malformed cases.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount {
  email?: string;
  name?: string;
  groups?: string[];
  emailVerified?: boolean;
}

export interface TestOpenIdProvider {
  issuer: string;
  /** Signs in as `account` through the code flow and returns the ID token the provider issued to `client`. */
  idToken(account: string, options?: { client?: string }): Promise<string>;
  /** A token made by hand with the provider's signing key (or `key`), for the malformed cases. */
  handMade(claims: JWTPayload, options?: { kid?: string; alg?: string; key?: CryptoKey | Uint8Array }): Promise<string>;
  /** The provider's public signing key as PEM (the HS256-with-the-public-key attack uses it as the secret). */
  publicKeyPem: string;
  /** Requests the JWKS endpoint has answered. */
  jwksRequests(): number;
  close(): Promise<void>;
}

const REDIRECT = 'http://127.0.0.1/callback';
export const KID = 'promenade-test-key';

export async function startOpenIdProvider({ accounts, clients = ['promenade'] }: { accounts: Record<string, TestAccount>; clients?: string[] }): Promise<TestOpenIdProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: clients.map((id) => ({ client_id: id, client_secret: `${id}-secret`, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    // The person's claims in the ID token itself (not only from userinfo), as approvers' tokens carry them.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            preferred_username: id,
            ...(account.email ? { email: account.email, email_verified: account.emailVerified ?? true } : {}),
            ...(account.name ? { name: account.name } : {}),
            ...(account.groups ? { groups: account.groups } : {}),
          };
        },
      };
    },
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('openid provider:', err));
  let jwksCount = 0;
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/jwks')) jwksCount++;
    callback(req, res);
  });

  const idToken = async (account: string, { client = 'promenade' }: { client?: string } = {}): Promise<string> => {
    const cookies = new Map<string, string>();
    const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
      const response = await fetch(new URL(url, issuer), {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return response;
    };
    const follow = async (response: Response): Promise<Response> => {
      while (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location')!;
        if (location.startsWith(REDIRECT)) return response;
        response = await request(location);
      }
      return response;
    };
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const auth = new URLSearchParams({
      client_id: client,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid email profile groups',
      state: randomBytes(8).toString('hex'),
      nonce: randomBytes(8).toString('hex'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    let response = await follow(await request(`/auth?${auth}`));
    // The development interactions: a sign-in form, then a consent form, each posted back to its interaction URL.
    for (const prompt of ['login', 'consent']) {
      if (response.headers.get('location')?.startsWith(REDIRECT)) break;
      const page = await response.text();
      const action = /action="([^"]+)"/.exec(page)?.[1];
      if (!action || !page.includes(`name="prompt" value="${prompt}"`)) throw new Error(`openid provider: expected the ${prompt} form, got ${page.slice(0, 300)}`);
      response = await follow(await request(action, form(prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt })));
    }
    const location = new URL(response.headers.get('location') ?? 'http://invalid');
    const code = location.searchParams.get('code');
    if (!code) throw new Error(`openid provider: no code in ${location} (${location.searchParams.get('error_description')})`);
    const token = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    });
    const body = (await token.json()) as { id_token?: string; error_description?: string };
    if (!body.id_token) throw new Error(`openid provider: no ID token (${body.error_description})`);
    return body.id_token;
  };

  const handMade = async (claims: JWTPayload, { kid = KID, alg = 'RS256', key = privateKey }: { kid?: string; alg?: string; key?: CryptoKey | Uint8Array } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer, aud: 'promenade', sub: 'alice', iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg, kid }).sign(key);
  };

  const spki = Buffer.from(await crypto.subtle.exportKey("spki", publicKey)).toString("base64");
  return {
    issuer,
    idToken,
    handMade,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`,
    jwksRequests: () => jwksCount,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
