import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { permissionDenied, unauthenticated } from './api-error.js';
import { globMatch } from './glob.js';
import { rfc3339 } from './time.js';

export type RbacAction = 'get' | 'create' | 'update' | 'delete' | 'sync' | 'override' | 'action' | '*';

export interface RbacPolicy {
  action: RbacAction | string;
  /** `<project>/<application glob>` */
  object: string;
}

export interface StaticToken {
  token: string;
  subject: string;
  policies: RbacPolicy[];
}

export interface Principal {
  subject: string;
  issuedAt: number;
  admin: boolean;
  policies: RbacPolicy[];
}

const SESSION_TTL_S = 24 * 3600;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class Authenticator {
  private readonly secret = randomBytes(32);
  private readonly byToken = new Map<string, StaticToken>();

  constructor(
    private readonly adminPassword: string,
    tokens: StaticToken[] = [],
  ) {
    for (const t of tokens) this.byToken.set(t.token, t);
  }

  /** POST /api/v1/session */
  createSession(username: unknown, password: unknown): string {
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      throw unauthenticated('no credentials supplied');
    }
    if (username !== 'admin' || !safeEqual(password, this.adminPassword)) {
      throw unauthenticated('Invalid username or password');
    }
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const claims = b64url(
      JSON.stringify({ iss: 'argocd', sub: 'admin:login', exp: now + SESSION_TTL_S, nbf: now, iat: now, jti: randomUUID() }),
    );
    return `${header}.${claims}.${this.sign(`${header}.${claims}`)}`;
  }

  authenticate(req: IncomingMessage): Principal {
    const token = bearerToken(req);
    if (!token) throw unauthenticated('no session information');
    const fixed = this.byToken.get(token);
    if (fixed) return { subject: fixed.subject, issuedAt: 0, admin: false, policies: fixed.policies };
    return this.verifySession(token);
  }

  private verifySession(token: string): Principal {
    const parts = token.split('.');
    // Argo CD v3.6 answers a bearer value that is no JWT at all as if there were none (differential test).
    if (parts.length !== 3) throw unauthenticated('no session information');
    const [header, claims, signature] = parts as [string, string, string];
    if (!safeEqual(signature, this.sign(`${header}.${claims}`))) {
      throw unauthenticated('invalid session: token signature is invalid: signature is invalid');
    }
    let payload: { sub?: string; exp?: number; iat?: number; iss?: string };
    try {
      payload = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    } catch {
      throw unauthenticated('invalid session: token is malformed');
    }
    if (payload.iss !== 'argocd') throw unauthenticated('invalid session: token has invalid issuer');
    if (typeof payload.exp === 'number' && payload.exp * 1000 < Date.now()) {
      throw unauthenticated('invalid session: token has invalid claims: token is expired');
    }
    const subject = (payload.sub ?? '').split(':')[0] ?? '';
    return { subject, issuedAt: (payload.iat ?? 0) * 1000, admin: subject === 'admin', policies: [] };
  }

  private sign(input: string): string {
    return createHmac('sha256', this.secret).update(input).digest('base64url');
  }
}

export function allowed(principal: Principal, action: string, project: string, app: string): boolean {
  if (principal.admin) return true;
  return principal.policies.some((p) => {
    if (p.action !== '*' && p.action !== action) return false;
    const slash = p.object.indexOf('/');
    const projectGlob = slash < 0 ? p.object : p.object.slice(0, slash);
    const appGlob = slash < 0 ? '*' : p.object.slice(slash + 1);
    return globMatch(projectGlob, project) && globMatch(appGlob, app);
  });
}

/** The RBAC-check flavour of the 403, naming the request. */
export function enforce(principal: Principal, action: string, project: string, app: string): void {
  if (allowed(principal, action, project, app)) return;
  throw permissionDenied(
    `permission denied: applications, ${action}, ${project}/${app}, sub: ${principal.subject}, iat: ${rfc3339(principal.issuedAt)}`,
  );
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (m) return m[1]!.trim();
  }
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === 'argocd.token') return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
