// The `verification` section of the worker's configuration file: the Prometheus servers checks may query (by name),
// the hosts http checks may reach, and which secrets (environment variables on the worker) may be sent as headers
// to which hosts. promenade.yaml is edited by anyone with push access; this file, by the worker's operators, decides
// where checks go and what they carry.
//
//   verification:
//     prometheus:
//       - { name: default, url: http://prometheus.monitoring:9090 }
//     http:
//       allowedHosts: [myapp.example.com, "*.staging.example.com", "127.0.0.1:8443"]
//       secrets:
//         - { env: MYAPP_STATUS_TOKEN, hosts: [myapp.example.com] }
import { ConfigProblems, secretFromEnv } from './problems.js';

export interface VerificationConfig {
  prometheus: Record<string, { url: string }>;
  /** Host patterns: `host`, `host:port`, or `*.domain` (any subdomain, any port). */
  allowedHosts: string[];
  /** Environment variable name -> its value (read at start) and the host patterns it may be sent to. */
  secrets: Record<string, { value: string; hosts: string[] }>;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_PATTERN = /^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/;

export function parseVerification(raw: unknown, env: NodeJS.ProcessEnv, problems: ConfigProblems): VerificationConfig | undefined {
  const at = 'verification';
  const section = problems.mapping(raw, at);
  if (!section) return undefined;
  problems.onlyKeys(section, ['prometheus', 'http'], at);
  const config: VerificationConfig = { prometheus: {}, allowedHosts: [], secrets: {} };
  const servers = section.prometheus === undefined ? [] : problems.sequence(section.prometheus, `${at}.prometheus`) ?? [];
  const names = new Set<string>();
  servers.forEach((entry, i) => {
    const here = `${at}.prometheus[${i}]`;
    const server = problems.mapping(entry, here);
    if (!server) return;
    problems.onlyKeys(server, ['name', 'url'], here);
    const name = server.name ?? 'default';
    if (typeof name !== 'string' || !NAME.test(name)) return problems.add(`${here}.name`, 'must be a name (lowercase letters, digits and "-")');
    if (names.has(name)) return problems.add(`${here}.name`, `${name} is listed twice`);
    names.add(name);
    const url = httpUrl(problems.text(server.url, `${here}.url`), `${here}.url`, problems);
    if (url) config.prometheus[name] = { url };
  });
  const http = section.http === undefined ? {} : problems.mapping(section.http, `${at}.http`) ?? {};
  problems.onlyKeys(http, ['allowedHosts', 'secrets'], `${at}.http`);
  config.allowedHosts = hostPatterns(http.allowedHosts ?? [], `${at}.http.allowedHosts`, problems);
  const secrets = http.secrets === undefined ? [] : problems.sequence(http.secrets, `${at}.http.secrets`) ?? [];
  secrets.forEach((entry, i) => {
    const here = `${at}.http.secrets[${i}]`;
    const secret = problems.mapping(entry, here);
    if (!secret) return;
    problems.onlyKeys(secret, ['env', 'hosts'], here);
    const hosts = hostPatterns(secret.hosts, `${here}.hosts`, problems);
    if (hosts.length === 0) problems.add(`${here}.hosts`, 'must list the hosts this secret may be sent to');
    const value = secretFromEnv(secret.env, `${here}.env`, env, problems);
    if (value !== undefined) config.secrets[secret.env as string] = { value, hosts };
  });
  return config;
}

function hostPatterns(raw: unknown, at: string, problems: ConfigProblems): string[] {
  const list = problems.sequence(raw, at) ?? [];
  const out: string[] = [];
  list.forEach((h, i) => {
    if (typeof h !== 'string' || !HOST_PATTERN.test(h.toLowerCase())) problems.add(`${at}[${i}]`, 'must be a host, host:port or *.domain');
    else out.push(h.toLowerCase());
  });
  return out;
}

function httpUrl(text: string | undefined, at: string, problems: ConfigProblems): string | undefined {
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    if (url.username || url.password) {
      problems.add(at, 'must not carry credentials');
      return undefined;
    }
    return text.replace(/\/+$/, '');
  } catch {
    problems.add(at, 'must be an http(s) URL');
    return undefined;
  }
}

/** Whether `url`'s host is matched by one of `patterns` (`host`, `host:port`, `*.domain`). */
export function hostAllowed(url: string, patterns: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const hostname = parsed.hostname.toLowerCase();
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return patterns.some((p) => {
    const [host, pPort] = p.startsWith('[') ? [p.slice(0, p.indexOf(']') + 1), p.slice(p.indexOf(']') + 2) || undefined] : (p.split(':') as [string, string?]);
    if (pPort && pPort !== port) return false;
    if (host.startsWith('*.')) return hostname.endsWith(host.slice(1)) && hostname.length > host.length - 1;
    return hostname === host;
  });
}
