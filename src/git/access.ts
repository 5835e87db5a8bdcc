// The environment a git process of one repository runs with: the few variables git needs from the worker's, none
// of the worker's secrets (Argo CD token, Temporal API key), no system or user git configuration, and that one
// repository's credentials scoped to its URL. HTTPS credentials reach git through a credential helper configured
// for the exact repository URL (`credential.<url>.helper`), which also checks the host it is asked about; an SSH
// deploy key goes with its pinned host keys in GIT_SSH_COMMAND. Neither is ever in a URL or on a command line:
// secrets travel only in the environment of that repository's git processes, and the helper script, key and
// known_hosts files live in a 0700 directory of this process, removed when it exits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepositoryCredentials } from '../config/worker-config/repositories.js';

/** What a git process may inherit from the worker's environment: where to find programs, and how to reach the network. */
const INHERITED = [
  'PATH',
  'HOME',
  'TMPDIR',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
];

const CREDENTIAL_VARS = {
  protocol: 'PROMENADE_GIT_CREDENTIAL_PROTOCOL',
  host: 'PROMENADE_GIT_CREDENTIAL_HOST',
  username: 'PROMENADE_GIT_CREDENTIAL_USERNAME',
  token: 'PROMENADE_GIT_CREDENTIAL_TOKEN',
} as const;

export interface GitAccess {
  env: NodeJS.ProcessEnv;
  /** Values to blank out of any git output that reaches an error message. */
  secrets: string[];
}

export interface GitIdentity {
  name: string;
  email: string;
}

/** The environment for git processes working on `repository`; `base` is the worker's (PATH, HOME, proxies). */
export function gitAccess(repository: string, credentials: RepositoryCredentials | undefined, base: NodeJS.ProcessEnv, author: GitIdentity): GitAccess {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) if (base[name] !== undefined) env[name] = base[name];
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    LC_ALL: 'C',
  });
  const config: Array<[string, string]> = [];
  const secrets: string[] = [];
  const target = credentialTarget(repository);
  if (credentials?.kind === 'https' && target) {
    const { protocol, host } = target;
    config.push([`credential.${repository}.helper`, helperPath()]);
    Object.assign(env, {
      [CREDENTIAL_VARS.protocol]: protocol,
      [CREDENTIAL_VARS.host]: host,
      [CREDENTIAL_VARS.username]: credentials.username,
      [CREDENTIAL_VARS.token]: credentials.token,
    });
    secrets.push(credentials.token);
  } else if (credentials?.kind === 'ssh') {
    const keyFile = 'file' in credentials.privateKey ? credentials.privateKey.file : privateFile('deploy-key', credentials.privateKey.value);
    const knownHosts = privateFile('known_hosts', `${credentials.knownHosts.join('\n')}\n`);
    // Only this key, only these host keys: no ssh config, agent or known_hosts of the worker's user takes part.
    env.GIT_SSH_COMMAND = [
      'ssh',
      '-F /dev/null',
      '-o IdentitiesOnly=yes',
      '-o IdentityAgent=none',
      `-o IdentityFile=${shellQuote(keyFile)}`,
      `-o UserKnownHostsFile=${shellQuote(knownHosts)}`,
      '-o GlobalKnownHostsFile=/dev/null',
      '-o StrictHostKeyChecking=yes',
      '-o BatchMode=yes',
    ].join(' ');
    env.GIT_SSH_VARIANT = 'ssh';
    if ('value' in credentials.privateKey) secrets.push(credentials.privateKey.value.trim());
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return { env, secrets };
}

/** The protocol and host (with a port, as git puts it) that git names when it asks for the repository's credentials. */
function credentialTarget(repository: string): { protocol: string; host: string } | undefined {
  if (!/^https?:\/\//i.test(repository)) return undefined;
  const url = new URL(repository);
  return { protocol: url.protocol.slice(0, -1), host: url.host };
}

let privateDir: string | undefined;
let fileCount = 0;

/** This process's 0700 directory for credential files, made on first use and removed when the process exits. */
function credentialDir(): string {
  if (!privateDir) {
    // mkdtemp makes the directory 0700.
    privateDir = mkdtempSync(join(tmpdir(), 'promenade-git-access-'));
    const dir = privateDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return privateDir;
}

function privateFile(name: string, content: string): string {
  const path = join(credentialDir(), `${name}-${++fileCount}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

let helper: string | undefined;

/**
 * The helper holds no secret: it prints the variables of the git process that runs it, and only when git asks about
 * the repository's own protocol and host (a redirect or another URL gets nothing even if the config matched).
 */
function helperPath(): string {
  if (!helper) {
    const v = CREDENTIAL_VARS;
    const script = [
      '#!/bin/sh',
      '[ "$1" = get ] || exit 0',
      'p=; h=',
      'while IFS= read -r line; do',
      '  case "$line" in',
      `    "protocol=$${v.protocol}") p=1 ;;`,
      `    "host=$${v.host}") h=1 ;;`,
      '    "") break ;;',
      '  esac',
      'done',
      '[ -n "$p" ] && [ -n "$h" ] || exit 0',
      `printf 'username=%s\\npassword=%s\\n' "$${v.username}" "$${v.token}"`,
      '',
    ].join('\n');
    helper = join(credentialDir(), 'credential-helper');
    writeFileSync(helper, script, { mode: 0o700 });
  }
  return helper;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
