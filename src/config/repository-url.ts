// Which GitOps repository URLs promenade accepts. Credentials belong to the worker's environment, never to a URL:
// a URL travels through workflow inputs, Temporal history, logs and error messages.
import { hasWhitespaceOrControl } from './text-rules.js';

/** Why `url` is refused, or undefined if it is acceptable. */
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
      return 'contains credentials; give them to the worker (PROMENADE_GIT_USERNAME / PROMENADE_GIT_PASSWORD) instead';
    }
    return undefined;
  }
  // scp-like `git@github.com:org/repo.git` (a user name but no secret) and local paths.
  if (/^[A-Za-z0-9._~-]+@[^/:]+:/.test(url) || /^[^/@:]+:/.test(url) || url.startsWith('/')) return undefined;
  return 'is not a git URL (https://, ssh://, git@host:path, file:// or an absolute path)';
}

/** Replaces anything that looks like URL credentials, so errors and logs can quote git's output safely. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@');
}
