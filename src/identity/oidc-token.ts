// Verifying OpenID Connect ID tokens from the issuers the worker's operators trust, with the `jose` package (no
// hand-written crypto). An issuer is found through its discovery document; its keys (JWKS) are cached and fetched
// again only for an unknown key ID, at most once per cooldown. Only asymmetric signatures count: `none` and HMAC
// (whose "secret" could be the issuer's public key) are refused before any key is looked at.
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { CONTROL_CHARACTERS } from '../config/text-rules.js';
import { issuerUrlProblem, type OidcIssuerConfig } from '../config/worker-config/identity.js';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Clocks of the issuer and the worker may disagree by this much for exp, nbf and iat. */
export const CLOCK_SKEW_SECONDS = 60;
const MAX_TOKEN_LENGTH = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_GROUPS = 200;
/** An unknown kid refetches the JWKS at most this often: a flood of made-up kids cannot flood the issuer. */
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;
const DISCOVERY_MAX_AGE_MS = 60 * 60_000;
const HTTP_TIMEOUT_MS = 5_000;

export type Purpose = 'approvers' | 'requesters';

export interface VerifiedToken {
  issuer: string;
  /** The issuer's configured person claim (email, preferred_username, sub...). */
  subject: string;
  displayName: string;
  email?: string;
  groups: string[];
  /** A key for the single-use register: the issuer and the token's jti, or the token's hash when it has none. */
  useKey: string;
  /** When the token stops being acceptable (its exp, or iat + the issuer's maximum age, whichever is first). */
  acceptableUntil: number;
}

export type TokenVerification = { verified: true; token: VerifiedToken } | { verified: false; reason: string };

/** The issuer could not be reached or answered nonsense: not the token's fault, so the caller retries. */
export class IssuerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerUnavailableError';
  }
}

interface IssuerKeys {
  jwks: ReturnType<typeof createRemoteJWKSet>;
  fetchedAt: number;
}

export class OidcVerifier {
  private readonly keys = new Map<string, Promise<IssuerKeys>>();

  constructor(
    private readonly issuers: readonly OidcIssuerConfig[],
    private readonly options: { now?: () => number } = {},
  ) {}

  async verify(token: unknown, purpose: Purpose): Promise<TokenVerification> {
    const refuse = (reason: string): TokenVerification => ({ verified: false, reason });
    if (typeof token !== 'string' || token === '') return refuse('the ID token must be a non-empty string');
    if (token.length > MAX_TOKEN_LENGTH) return refuse(`the ID token is longer than ${MAX_TOKEN_LENGTH} characters`);
    if (!COMPACT_JWS.test(token)) return refuse('the ID token is not a signed JWT (three base64url parts)');
    let alg: unknown;
    let claimedIssuer: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      return refuse('the ID token is not a signed JWT (its header or claims are not JSON)');
    }
    if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
      return refuse(`the ID token's algorithm ${JSON.stringify(alg)} is not allowed (only asymmetric signatures: ${ASYMMETRIC_ALGORITHMS.join(', ')})`);
    }
    const issuer = this.issuers.find((i) => i.issuer === claimedIssuer);
    if (!issuer) return refuse(`the ID token's issuer ${JSON.stringify(claimedIssuer)} is not trusted by this worker`);
    if (!issuer.for.includes(purpose)) return refuse(`the issuer ${issuer.issuer} is not trusted to vouch for ${purpose}`);

    const { jwks } = await this.issuerKeys(issuer);
    let payload: JWTPayload;
    const now = this.options.now?.() ?? Date.now();
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        maxTokenAge: issuer.maxTokenAgeSeconds,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: new Date(now),
      }));
    } catch (err) {
      const reason = refusalOf(err, issuer);
      if (reason) return refuse(reason);
      throw new IssuerUnavailableError(`cannot verify a token of ${issuer.issuer}: ${(err as Error).message}`);
    }

    const subject = payload[issuer.subjectClaim];
    if (!isPlainText(subject, 256)) return refuse(`the ID token has no usable ${issuer.subjectClaim} claim (the person's name, a single-line string)`);
    if (issuer.subjectClaim === 'email' && payload.email_verified === false) return refuse(`the issuer says the e-mail ${subject} is not verified`);
    const email = isPlainText(payload.email, 256) && payload.email_verified !== false ? payload.email : undefined;
    const name = isPlainText(payload.name, 128) ? payload.name : undefined;
    const rawGroups = issuer.groupsClaim ? payload[issuer.groupsClaim] : undefined;
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => isPlainText(g, 256)).slice(0, MAX_GROUPS) : [];
    const id = isPlainText(payload.jti, 256) ? `jti:${payload.jti}` : `sha256:${createHash('sha256').update(token).digest('hex')}`;
    const acceptableUntil = Math.min(payload.exp! * 1000, payload.iat! * 1000 + issuer.maxTokenAgeSeconds * 1000) + CLOCK_SKEW_SECONDS * 1000;
    return {
      verified: true,
      token: {
        issuer: issuer.issuer,
        subject,
        displayName: name ?? subject,
        ...(email ? { email } : {}),
        groups,
        useKey: createHash('sha256').update(`${issuer.issuer}\n${id}`).digest('hex'),
        acceptableUntil,
      },
    };
  }

  /** Discovery once per issuer (again after an hour); a failed discovery is not cached, so the next try asks again. */
  private issuerKeys(issuer: OidcIssuerConfig): Promise<IssuerKeys> {
    const now = Date.now();
    const cached = this.keys.get(issuer.issuer);
    if (cached) {
      return cached.then((keys) => (now - keys.fetchedAt < DISCOVERY_MAX_AGE_MS ? keys : this.discover(issuer)));
    }
    return this.discover(issuer);
  }

  private discover(issuer: OidcIssuerConfig): Promise<IssuerKeys> {
    const found = discoverJwksUri(issuer.issuer).then((jwksUri) => ({
      jwks: createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS, timeoutDuration: HTTP_TIMEOUT_MS }),
      fetchedAt: Date.now(),
    }));
    this.keys.set(issuer.issuer, found);
    found.catch(() => this.keys.delete(issuer.issuer));
    return found;
  }
}

/** `jwks_uri` from the issuer's `/.well-known/openid-configuration`, which must name the same issuer. */
export async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
  } catch (err) {
    throw new IssuerUnavailableError(`${url} cannot be reached: ${(err as Error).message}`);
  }
  if (!response.ok) throw new IssuerUnavailableError(`${url} answered HTTP ${response.status}`);
  let doc: unknown;
  try {
    doc = await response.json();
  } catch {
    throw new IssuerUnavailableError(`${url} did not answer JSON`);
  }
  const { issuer: named, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery 1.0, 4.3: the document must name exactly the issuer it was fetched for.
  if (named !== issuer) throw new IssuerUnavailableError(`${url} names the issuer ${JSON.stringify(named)}, not ${issuer}`);
  if (typeof jwksUri !== 'string' || issuerUrlProblem(jwksUri.replace(/\?.*$/, ''))) throw new IssuerUnavailableError(`${url} has no usable jwks_uri`);
  return jwksUri;
}

/** What the token did wrong, for the sender; undefined for failures that are not the token's (network, JWKS). */
function refusalOf(err: unknown, issuer: OidcIssuerConfig): string | undefined {
  if (err instanceof errors.JWTExpired) {
    if (err.claim === 'iat') return `the ID token is too old: issued more than ${issuer.maxTokenAgeSeconds}s ago (the most this worker accepts from ${issuer.issuer})`;
    return 'the ID token has expired';
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return `the ID token is not meant for this worker: its audience is not ${issuer.audience}`;
    if (err.claim === 'iss') return `the ID token's issuer is not ${issuer.issuer}`;
    if (err.claim === 'nbf') return 'the ID token is not valid yet (nbf is in the future)';
    if (err.claim === 'iat') return 'the ID token was issued in the future (iat)';
    return `the ID token's ${err.claim} claim is missing or wrong`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the ID token\'s algorithm is not allowed (only asymmetric signatures)';
  if (err instanceof errors.JWKSNoMatchingKey) return `no key of ${issuer.issuer} matches the ID token's key ID (kid)`;
  if (err instanceof errors.JWKSMultipleMatchingKeys) return `the ID token's key ID matches several keys of ${issuer.issuer}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return `the ID token's signature does not verify with ${issuer.issuer}'s key`;
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return `the ID token is malformed: ${err.message}`;
  return undefined;
}

function isPlainText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= max && !CONTROL_CHARACTERS.test(value);
}
