// Which GitOps repository URLs promenade accepts. Credentials belong to the worker's configuration, never to a URL:
// a URL travels through workflow inputs, Temporal history, logs and error messages.
import { hasWhitespaceOrControl, isLoopbackHost } from './text-rules.js';

/** Why `url` is refused, or undefined if it is acceptable. Syntax only: which repositories a worker serves is its own. */
export function repositoryUrlProblem(url: string): string | undefined {
  if (url === '') return 'is empty';
  if (url.length > 2048) return 'is longer than 2048 characters';
  if (hasWhitespaceOrControl(url)) return 'contains whitespace or control characters';
  // A leading dash would be read by git as an option; `ext::` and friends run commands.
  if (url.startsWith('-')) return 'must not start with "-"';
  if (/^[a-z][a-z0-9+.-]*::/i.test(url)) return 'uses a git remote helper ("<transport>::"), which is not allowed';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) return `uses unsupported scheme "${scheme}"`;
    const authority = url.slice(scheme.length + 3).split('/')[0]!;
    const userinfo = authority.includes('@') ? authority.slice(0, authority.lastIndexOf('@')) : undefined;
    if (userinfo !== undefined && (userinfo.includes(':') || scheme === 'https' || scheme === 'http')) {
      return "contains credentials; give them to the worker (its configuration file's repositories section) instead";
    }
    return undefined;
  }
  // scp-like `git@github.com:org/repo.git` (a user name but no secret) and local paths.
  if (/^[A-Za-z0-9._~-]+@[^/:]+:/.test(url) || /^[^/@:]+:/.test(url) || url.startsWith('/')) return undefined;
  return 'is not a git URL (https://, ssh://, git@host:path, file:// or an absolute path)';
}

export type RepositoryTransport = 'https' | 'http' | 'ssh' | 'git' | 'local';

/** How git reaches `url` and the host it talks to (undefined for a local repository). `url` must be acceptable. */
export function repositoryTransport(url: string): { transport: RepositoryTransport; host?: string } {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file' || (scheme === undefined && url.startsWith('/'))) return { transport: 'local' };
  if (scheme === undefined) {
    // scp-like `[user@]host:path`.
    const host = url.slice(0, url.indexOf(':')).split('@').pop()!;
    return { transport: 'ssh', host: host.toLowerCase() };
  }
  const authority = url.slice(scheme.length + 3).split('/')[0]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const host = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.split(':')[0]!;
  return { transport: scheme as RepositoryTransport, host: host.toLowerCase() };
}

/** Hosts that never leave the machine: the only ones plain `http://` and `git://` may reach. */
/**
 * Why the worker will not use `url` even though its syntax is fine: plaintext transports (which would carry
 * credentials and promenade.yaml unprotected) off this machine, and local repositories on a worker that was not
 * told it serves them.
 */
export function repositoryTransportProblem(url: string, { localAllowed }: { localAllowed: boolean }): string | undefined {
  const { transport, host } = repositoryTransport(url);
  if (transport === 'local' && !localAllowed) {
    return 'is a local path or file:// URL, which a worker serves only when told to (PROMENADE_LOCAL_REPOSITORIES=1, as the npm start stack sets)';
  }
  if ((transport === 'http' || transport === 'git') && !isLoopbackHost(host!)) {
    return `uses plain ${transport}:// to ${host}, which is allowed only for loopback hosts; use https:// or ssh://`;
  }
  return undefined;
}

/** Replaces anything that looks like URL credentials, so errors and logs can quote git's output safely. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@');
}
