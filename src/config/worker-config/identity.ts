// The `identity` section of the worker's configuration file: how the worker checks who made a decision or requested
// a promotion. Approvers' SSH keys (git's allowed-signers format) and trusted OpenID Connect issuers. Groups of people
// live in the policy section (policy.groups): a verified identity counts for `group:<name>` when its subject is listed
// there, or when the issuer's groups claim names the group. Without this section no gate can require verified
// identities.
//
//   identity:
//     ssh:
//       allowedSigners: |                # or allowedSignersFile: /etc/promenade/allowed_signers
//         alice@example.com ssh-ed25519 AAAA... Alice Example
//     oidc:
//       - issuer: https://login.example.com
//         audience: promenade
//         subjectClaim: email             # the claim naming the person: email, preferred_username, sub, ...
//         groupsClaim: groups             # optional: the token's groups count for the gate's `group:<name>`
//         maxTokenAge: 10m                # tokens issued longer ago are refused (default 10m, at most 24h)
//         for: [approvers, requesters]    # default: both
//     requester: verified                 # asserted (default) | verified: every promotion must carry a CI token
import { readFileSync } from 'node:fs';
import { parseAllowedSigners, type AllowedSigner } from '../../identity/allowed-signers.js';
import { parseDuration } from '../pipeline-file.js';
import { isLoopbackHost } from '../text-rules.js';
import type { ConfigProblems } from './problems.js';

export interface OidcIssuerConfig {
  /** Exactly as the tokens' `iss` claim and the discovery document say it. */
  issuer: string;
  audience: string;
  subjectClaim: string;
  groupsClaim?: string;
  maxTokenAgeSeconds: number;
  /** Whose tokens this issuer may vouch for: a CI issuer names requesters, a company IdP approvers. */
  for: Array<'approvers' | 'requesters'>;
}

export interface IdentityConfig {
  ssh?: { signers: AllowedSigner[] };
  oidc: OidcIssuerConfig[];
  /** `verified`: a promotion without a requester token that verifies fails at start. */
  requester: 'asserted' | 'verified';
}

export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 600;
const MAX_TOKEN_AGE_LIMIT_SECONDS = 24 * 3600;
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const KEYS = ['ssh', 'oidc', 'requester'];
const SSH_KEYS = ['allowedSigners', 'allowedSignersFile'];
const OIDC_KEYS = ['issuer', 'audience', 'subjectClaim', 'groupsClaim', 'maxTokenAge', 'for'];

export function parseIdentity(raw: unknown, problems: ConfigProblems): IdentityConfig | undefined {
  const section = problems.mapping(raw, 'identity');
  if (!section) return undefined;
  problems.onlyKeys(section, KEYS, 'identity');
  const config: IdentityConfig = { oidc: [], requester: 'asserted' };

  if (section.ssh !== undefined) {
    const ssh = problems.mapping(section.ssh, 'identity.ssh');
    if (ssh) {
      problems.onlyKeys(ssh, SSH_KEYS, 'identity.ssh');
      const signers = allowedSigners(ssh, problems);
      if (signers) config.ssh = { signers };
    }
  }

  if (section.oidc !== undefined) {
    const issuers = problems.sequence(section.oidc, 'identity.oidc') ?? [];
    issuers.forEach((entry, i) => {
      const issuer = oidcIssuer(entry, `identity.oidc[${i}]`, problems);
      if (!issuer) return;
      if (config.oidc.some((o) => o.issuer === issuer.issuer)) problems.add(`identity.oidc[${i}].issuer`, `${issuer.issuer} is listed twice`);
      else config.oidc.push(issuer);
    });
  }

  if (section.requester !== undefined) {
    if (section.requester === 'asserted' || section.requester === 'verified') config.requester = section.requester;
    else problems.add('identity.requester', 'must be "asserted" or "verified"');
  }
  if (config.requester === 'verified' && !config.oidc.some((o) => o.for.includes('requesters'))) {
    problems.add('identity.requester', 'is "verified" but no identity.oidc issuer is for requesters (for: [requesters])');
  }
  return config;
}

function allowedSigners(ssh: Record<string, unknown>, problems: ConfigProblems): AllowedSigner[] | undefined {
  const inline = ssh.allowedSigners;
  const file = ssh.allowedSignersFile;
  if ((inline === undefined) === (file === undefined)) {
    problems.add('identity.ssh', 'needs exactly one of allowedSigners (the text) or allowedSignersFile (a path)');
    return undefined;
  }
  let text: string;
  let at: string;
  if (inline !== undefined) {
    at = 'identity.ssh.allowedSigners';
    if (typeof inline !== 'string') {
      problems.add(at, 'must be text in git\'s allowed-signers format (a YAML block: `allowedSigners: |`)');
      return undefined;
    }
    text = inline;
  } else {
    at = 'identity.ssh.allowedSignersFile';
    const path = problems.text(file, at);
    if (!path) return undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      problems.add(at, `${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return undefined;
    }
  }
  const signers = parseAllowedSigners(text, (line, rule) => problems.add(`${at} line ${line}`, rule));
  if (signers.length === 0) problems.add(at, 'lists no key');
  return signers;
}

function oidcIssuer(raw: unknown, at: string, problems: ConfigProblems): OidcIssuerConfig | undefined {
  const entry = problems.mapping(raw, at);
  if (!entry) return undefined;
  problems.onlyKeys(entry, OIDC_KEYS, at);
  const before = problems.list.length;
  const issuer = problems.text(entry.issuer, `${at}.issuer`);
  if (issuer) {
    const problem = issuerUrlProblem(issuer);
    if (problem) problems.add(`${at}.issuer`, problem);
  }
  const audience = problems.text(entry.audience, `${at}.audience`, { max: 256 });
  const claim = (key: 'subjectClaim' | 'groupsClaim', fallback?: string) => {
    if (entry[key] === undefined) return fallback;
    const name = problems.text(entry[key], `${at}.${key}`, { max: 64 });
    if (name && !CLAIM_NAME.test(name)) problems.add(`${at}.${key}`, 'must be a claim name (letters, digits, _ . : -)');
    return name;
  };
  const subjectClaim = claim('subjectClaim', 'email');
  const groupsClaim = claim('groupsClaim');
  let maxTokenAgeSeconds = DEFAULT_MAX_TOKEN_AGE_SECONDS;
  if (entry.maxTokenAge !== undefined) {
    const seconds = typeof entry.maxTokenAge === 'string' ? parseDuration(entry.maxTokenAge) : undefined;
    if (seconds === undefined || seconds < 1 || seconds > MAX_TOKEN_AGE_LIMIT_SECONDS) {
      problems.add(`${at}.maxTokenAge`, 'must be a duration from 1s to 24h, such as 10m');
    } else maxTokenAgeSeconds = seconds;
  }
  let purposes: OidcIssuerConfig['for'] = ['approvers', 'requesters'];
  if (entry.for !== undefined) {
    const list = problems.sequence(entry.for, `${at}.for`);
    if (list && (list.length === 0 || list.some((p) => p !== 'approvers' && p !== 'requesters'))) {
      problems.add(`${at}.for`, 'must list approvers, requesters or both');
    } else if (list) purposes = [...new Set(list as OidcIssuerConfig['for'])];
  }
  if (problems.list.length > before || !issuer || !audience || !subjectClaim) return undefined;
  return { issuer, audience, subjectClaim, ...(groupsClaim ? { groupsClaim } : {}), maxTokenAgeSeconds, for: purposes };
}

/** Issuers are https; plain http only on this machine's loopback (a local provider in tests or a sidecar). */
export function issuerUrlProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'must be a URL (https://...)';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must be https (http only on the loopback address)';
}

/**
 * Why a gate that requires verified identities cannot be opened on this worker, or undefined if it can: a decision
 * there needs an approver key or an issuer that vouches for approvers.
 */
export function verifiedGateProblem(identity: IdentityConfig | undefined): string | undefined {
  if (!identity) return 'the worker has no identity section in its configuration file (PROMENADE_CONFIG): add identity.ssh.allowedSigners or an identity.oidc issuer';
  if (!identity.ssh && !identity.oidc.some((o) => o.for.includes('approvers'))) {
    return 'the worker\'s identity section names no way to verify an approver: add identity.ssh.allowedSigners or an identity.oidc issuer for approvers';
  }
  return undefined;
}

/** The longest any token may be accepted for: the single-use register must remember tokens at least this long. */
export function longestTokenAgeSeconds(identity: IdentityConfig | undefined): number {
  return Math.max(0, ...(identity?.oidc ?? []).map((o) => o.maxTokenAgeSeconds));
}
