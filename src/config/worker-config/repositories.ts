// The `repositories` section of the worker's configuration file: the GitOps repositories this worker serves, each
// with its own credentials and the Argo CD projects its applications may live in. Repositories belong to the
// worker's operators, not to whoever starts a promotion: a promotion may only name one listed here, and a
// repository's credentials are handed to git for that repository alone.
//
//   repositories:
//     - url: https://git.example.com/platform/gitops.git
//       default: true                      # used when a promotion names none (optional with one repository)
//       https: { username: promenade-bot, tokenEnv: GITOPS_TOKEN }   # or usernameEnv: NAME
//       projects: [default, payments]      # "*" allows every project the Argo CD token reaches
//       apps: [myapp, billing]             # required when there is more than one repository
//     - url: ssh://git@git.example.com/team/gitops.git
//       ssh:
//         privateKeyEnv: TEAM_DEPLOY_KEY   # or privateKeyFile: /run/secrets/team-deploy-key
//         knownHosts: ["git.example.com ssh-ed25519 AAAAC3Nza..."]
//       projects: [team]
//       apps: [team-api]
//
// App names are unique per task queue (workflow and lane IDs are built from them), so with several repositories each
// declares its apps and an app listed twice stops the worker at start: a clash cannot reach a running promotion.
// Without the section, PROMENADE_REPOSITORY names the one repository (credentials PROMENADE_GIT_USERNAME and
// PROMENADE_GIT_PASSWORD, for it only; every Argo CD project).
import { accessSync, constants } from 'node:fs';
import { repositoryTransport, repositoryTransportProblem, repositoryUrlProblem } from '../repository-url.js';
import { CONTROL_CHARACTERS, DNS_LABEL, RESOURCE_NAME } from '../text-rules.js';
import { ConfigProblems, secretFromEnv } from './problems.js';

export type RepositoryCredentials =
  | { kind: 'https'; username: string; token: string }
  | {
      kind: 'ssh';
      /** The key itself (from an environment variable) or the file that holds it. */
      privateKey: { value: string } | { file: string };
      /** known_hosts lines: the only host keys ssh accepts for this repository. */
      knownHosts: string[];
    };

export interface RepositoryConfig {
  url: string;
  credentials?: RepositoryCredentials;
  /** Argo CD projects the repository's applications may live in; `'*'` for any. */
  projects: string[] | '*';
  /** The apps whose promotions use this repository; undefined (one repository only) means any. */
  apps?: string[];
  default: boolean;
}

export interface WorkerRepositories {
  list: RepositoryConfig[];
  /** Local paths and file:// URLs are served (PROMENADE_LOCAL_REPOSITORIES=1: the npm start stack and tests). */
  localAllowed: boolean;
}

export const LOCAL_REPOSITORIES_ENV = 'PROMENADE_LOCAL_REPOSITORIES';
export const LEGACY_ENV = { repository: 'PROMENADE_REPOSITORY', username: 'PROMENADE_GIT_USERNAME', password: 'PROMENADE_GIT_PASSWORD' } as const;

const KEYS = ['url', 'default', 'https', 'ssh', 'projects', 'apps'];
const HOST_KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;
const MAX_REPOSITORIES = 100;

export function localRepositoriesAllowed(env: NodeJS.ProcessEnv): boolean {
  return env[LOCAL_REPOSITORIES_ENV] === '1' || env[LOCAL_REPOSITORIES_ENV] === 'true';
}

/** Reads the section; problems go to `problems`, each with its field path. */
export function parseRepositories(raw: unknown, env: NodeJS.ProcessEnv, problems: ConfigProblems): RepositoryConfig[] {
  const list = problems.sequence(raw, 'repositories');
  if (!list) return [];
  if (list.length === 0) problems.add('repositories', 'must list at least one repository (or leave the section out)');
  if (list.length > MAX_REPOSITORIES) problems.add('repositories', `must list at most ${MAX_REPOSITORIES} repositories`);
  const localAllowed = localRepositoriesAllowed(env);
  const repositories: RepositoryConfig[] = [];
  list.forEach((item, i) => {
    const at = `repositories[${i}]`;
    const map = problems.mapping(item, at);
    if (!map) return;
    problems.onlyKeys(map, KEYS, at);
    const url = problems.text(map.url, `${at}.url`, { max: 2048 });
    if (url !== undefined) {
      const problem = repositoryUrlProblem(url) ?? repositoryTransportProblem(url, { localAllowed });
      if (problem) problems.add(`${at}.url`, problem);
    }
    if (map.default !== undefined && typeof map.default !== 'boolean') problems.add(`${at}.default`, 'must be true or false');
    const credentials = readCredentials(map, at, url, env, problems);
    const projects = readNames(map.projects, `${at}.projects`, RESOURCE_NAME, 'an Argo CD project name', problems, true);
    const apps = map.apps === undefined ? undefined : readNames(map.apps, `${at}.apps`, DNS_LABEL, 'an app name (a DNS label)', problems, false);
    if (url === undefined || projects === undefined) return;
    repositories.push({
      url,
      ...(credentials ? { credentials } : {}),
      projects,
      ...(apps && apps !== '*' ? { apps } : {}),
      default: map.default === true,
    });
  });
  checkAcrossRepositories(repositories, problems);
  return repositories;
}

function readCredentials(
  map: Record<string, unknown>,
  at: string,
  url: string | undefined,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblems,
): RepositoryCredentials | undefined {
  const transport = url === undefined ? undefined : repositoryTransport(url);
  if (map.https !== undefined && map.ssh !== undefined) {
    problems.add(at, 'has both https and ssh credentials; give the one its URL uses');
    return undefined;
  }
  if (map.https !== undefined) {
    const https = problems.mapping(map.https, `${at}.https`);
    if (!https) return undefined;
    problems.onlyKeys(https, ['username', 'usernameEnv', 'tokenEnv'], `${at}.https`);
    if (transport && transport.transport !== 'https' && transport.transport !== 'http') problems.add(`${at}.https`, `is for https:// URLs; this repository's URL uses ${transport.transport}`);
    let username: string | undefined;
    if ((https.username === undefined) === (https.usernameEnv === undefined)) problems.add(`${at}.https`, 'needs exactly one of username or usernameEnv');
    else if (https.username !== undefined) username = problems.text(https.username, `${at}.https.username`, { max: 256 });
    else username = secretFromEnv(https.usernameEnv, `${at}.https.usernameEnv`, env, problems);
    const token = secretFromEnv(https.tokenEnv, `${at}.https.tokenEnv`, env, problems);
    // The values go to git line by line; a line break would let one inject more credential attributes.
    if (username !== undefined && CONTROL_CHARACTERS.test(username)) problems.add(`${at}.https`, 'the username contains control characters or line breaks');
    if (token !== undefined && CONTROL_CHARACTERS.test(token)) problems.add(`${at}.https.tokenEnv`, `the token in ${String(https.tokenEnv)} contains control characters or line breaks`);
    if (username === undefined || token === undefined || problems.list.some((p) => p.startsWith(`${at}.https`))) return undefined;
    return { kind: 'https', username, token };
  }
  if (map.ssh !== undefined) {
    const ssh = problems.mapping(map.ssh, `${at}.ssh`);
    if (!ssh) return undefined;
    problems.onlyKeys(ssh, ['privateKeyEnv', 'privateKeyFile', 'knownHosts'], `${at}.ssh`);
    if (transport && transport.transport !== 'ssh') problems.add(`${at}.ssh`, `is for ssh:// and user@host:path URLs; this repository's URL uses ${transport.transport}`);
    let privateKey: { value: string } | { file: string } | undefined;
    if ((ssh.privateKeyEnv === undefined) === (ssh.privateKeyFile === undefined)) problems.add(`${at}.ssh`, 'needs exactly one of privateKeyEnv or privateKeyFile');
    else if (ssh.privateKeyEnv !== undefined) {
      const value = secretFromEnv(ssh.privateKeyEnv, `${at}.ssh.privateKeyEnv`, env, problems);
      if (value !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) problems.add(`${at}.ssh.privateKeyEnv`, `${String(ssh.privateKeyEnv)} does not hold a PEM or OpenSSH private key`);
      else if (value !== undefined) privateKey = { value: value.endsWith('\n') ? value : `${value}\n` };
    } else {
      const file = problems.text(ssh.privateKeyFile, `${at}.ssh.privateKeyFile`);
      if (file !== undefined && !file.startsWith('/')) problems.add(`${at}.ssh.privateKeyFile`, 'must be an absolute path');
      else if (file !== undefined) {
        try {
          accessSync(file, constants.R_OK);
          privateKey = { file };
        } catch (err) {
          problems.add(`${at}.ssh.privateKeyFile`, `cannot be read by the worker (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
    }
    const knownHosts = readKnownHosts(ssh.knownHosts, `${at}.ssh.knownHosts`, transport?.host, problems);
    if (!privateKey || !knownHosts) return undefined;
    return { kind: 'ssh', privateKey, knownHosts };
  }
  if (transport?.transport === 'ssh') problems.add(at, 'an ssh repository needs ssh credentials (a deploy key and its pinned host keys)');
  return undefined;
}

/** known_hosts lines pinning the host's keys; at least one must name the URL's host (or be hashed). */
function readKnownHosts(raw: unknown, at: string, host: string | undefined, problems: ConfigProblems): string[] | undefined {
  const list = problems.sequence(raw, at);
  if (!list) return undefined;
  if (list.length === 0) {
    problems.add(at, 'must pin at least one host key (a known_hosts line: "<host> <key type> <base64 key>")');
    return undefined;
  }
  const lines: string[] = [];
  let namesHost = false;
  list.forEach((line, i) => {
    const text = problems.text(line, `${at}[${i}]`, { max: 16_384 });
    if (text === undefined) return;
    const [hosts = '', type = '', key = ''] = text.trim().split(/\s+/);
    if (!HOST_KEY_TYPES.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(key) || hosts.startsWith('@')) {
      problems.add(`${at}[${i}]`, 'is not a known_hosts line "<host>[,<host>...] <key type> <base64 key>" (markers such as @cert-authority are not accepted)');
      return;
    }
    if (hosts.startsWith('|1|') || (host !== undefined && hosts.split(',').some((h) => h.toLowerCase() === host || h.toLowerCase().startsWith(`[${host}]:`)))) namesHost = true;
    lines.push(text.trim());
  });
  if (lines.length === list.length && host !== undefined && !namesHost) problems.add(at, `no line names the repository's host ${host}`);
  return lines.length === list.length ? lines : undefined;
}

function readNames(raw: unknown, at: string, rule: RegExp, what: string, problems: ConfigProblems, wildcard: boolean): string[] | '*' | undefined {
  if (raw === undefined) {
    problems.add(at, wildcard ? 'is required: the Argo CD projects this repository\'s applications may live in ("*" for any)' : 'is required');
    return undefined;
  }
  const list = problems.sequence(raw, at);
  if (!list) return undefined;
  if (list.length === 0) {
    problems.add(at, 'must not be empty');
    return undefined;
  }
  if (wildcard && list.length === 1 && list[0] === '*') return '*';
  const names: string[] = [];
  list.forEach((name, i) => {
    if (typeof name !== 'string' || name.length > 253 || !rule.test(name)) problems.add(`${at}[${i}]`, `is not ${what}`);
    else if (names.includes(name)) problems.add(`${at}[${i}]`, `lists ${name} twice`);
    else names.push(name);
  });
  return names.length === list.length ? names : undefined;
}

function checkAcrossRepositories(repositories: RepositoryConfig[], problems: ConfigProblems): void {
  const defaults = repositories.filter((r) => r.default);
  if (defaults.length > 1) problems.add('repositories', `${defaults.length} repositories say default: true; at most one may`);
  const seen = new Map<string, number>();
  repositories.forEach((r, i) => {
    if (seen.has(r.url)) problems.add(`repositories[${i}].url`, `is listed twice (also repositories[${seen.get(r.url)}])`);
    else seen.set(r.url, i);
  });
  if (repositories.length > 1) {
    const owner = new Map<string, number>();
    repositories.forEach((r, i) => {
      if (!r.apps) {
        problems.add(`repositories[${i}].apps`, 'is required when the worker serves more than one repository: app names must be unique across them (workflow and lane IDs are per app)');
        return;
      }
      for (const app of r.apps) {
        const other = owner.get(app);
        if (other !== undefined) problems.add(`repositories[${i}].apps`, `lists ${app}, which repositories[${other}] lists too: an app belongs to one repository`);
        else owner.set(app, i);
      }
    });
  }
}

/**
 * The repositories a worker serves: its file's section, or else PROMENADE_REPOSITORY (with the legacy credentials
 * for it alone). Both at once is refused, so which repositories a worker serves is never ambiguous.
 */
export function workerRepositories(section: RepositoryConfig[] | undefined, env: NodeJS.ProcessEnv): WorkerRepositories {
  const localAllowed = localRepositoriesAllowed(env);
  const single = env[LEGACY_ENV.repository]?.trim();
  if (section) {
    if (single) throw new Error(`${LEGACY_ENV.repository} is set and the worker's configuration file lists repositories: set one of them`);
    // A password meant for some repository must not be left for the worker to guess which.
    if (env[LEGACY_ENV.password]) {
      throw new Error(`${LEGACY_ENV.username}/${LEGACY_ENV.password} are set, but the configuration file lists repositories: give each repository its credentials there`);
    }
    return { list: section, localAllowed };
  }
  if (!single) return { list: [], localAllowed };
  const problem = repositoryUrlProblem(single) ?? repositoryTransportProblem(single, { localAllowed });
  if (problem) throw new Error(`${LEGACY_ENV.repository} ${problem}`);
  const username = env[LEGACY_ENV.username] ?? '';
  const token = env[LEGACY_ENV.password] ?? '';
  if ((username || token) && CONTROL_CHARACTERS.test(`${username}${token}`)) throw new Error(`${LEGACY_ENV.username}/${LEGACY_ENV.password} contain control characters or line breaks`);
  const { transport } = repositoryTransport(single);
  const credentials: RepositoryCredentials | undefined = token && (transport === 'https' || transport === 'http') ? { kind: 'https', username, token } : undefined;
  return { list: [{ url: single, ...(credentials ? { credentials } : {}), projects: '*', default: true }], localAllowed };
}

/** The rule a promotion broke by naming or implying a repository, or the repository it uses. */
export function repositoryForPromotion(repositories: WorkerRepositories, app: string, requested: string | undefined): { repository: RepositoryConfig } | { problem: string } {
  const { list } = repositories;
  if (list.length === 0) return { problem: `no GitOps repository: the worker serves none (set ${LEGACY_ENV.repository}, or list repositories in its configuration file)` };
  const owner = list.find((r) => r.apps?.includes(app));
  if (requested !== undefined) {
    const named = list.find((r) => r.url === requested);
    if (!named) return { problem: `input.repository is not one of the repositories this worker serves (a promotion may name only a repository in the worker's configuration)` };
    if (owner && owner !== named) return { problem: `app ${app} belongs to another repository of this worker, not to input.repository` };
    if (named.apps && !named.apps.includes(app)) return { problem: `app ${app} is not among the apps of input.repository in the worker's configuration` };
    return { repository: named };
  }
  if (owner) return { repository: owner };
  const fallback = list.find((r) => r.default) ?? (list.length === 1 ? list[0] : undefined);
  if (!fallback) return { problem: `app ${app} is in no repository's apps and the worker has no default repository` };
  if (fallback.apps && !fallback.apps.includes(app)) return { problem: `app ${app} is not among the apps of the default repository in the worker's configuration` };
  return { repository: fallback };
}

/** Whether Argo CD `project` may hold this repository's applications. */
export function projectAllowed(repository: RepositoryConfig, project: string): boolean {
  return repository.projects === '*' || repository.projects.includes(project);
}
