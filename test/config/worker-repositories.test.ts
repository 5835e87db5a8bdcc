// The worker configuration's repositories section and the rules that pick a promotion's repository: pure logic,
// checked directly.
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { InvalidWorkerConfigError } from '../../src/config/worker-config/problems.js';
import { projectAllowed, repositoryForPromotion, workerRepositories, type WorkerRepositories } from '../../src/config/worker-config/repositories.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseWorkerConfig(text, { source: 'worker.yaml', env });
const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    parse(text, env);
  } catch (err) {
    if (err instanceof InvalidWorkerConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected InvalidWorkerConfigError');
};

const HOST_KEY = 'git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('repositories section', () => {
  it('reads https and ssh repositories with credentials from the environment', () => {
    const config = parse(
      `repositories:
  - url: https://git.example.com/platform/gitops.git
    default: true
    https: { username: promenade-bot, tokenEnv: GITOPS_TOKEN }
    projects: [default, payments]
    apps: [myapp]
  - url: git@git.example.com:team/gitops.git
    ssh: { privateKeyEnv: TEAM_KEY, knownHosts: ["${HOST_KEY}"] }
    projects: ["*"]
    apps: [team-api]
`,
      { GITOPS_TOKEN: 'tok3n', TEAM_KEY: KEY },
    );
    expect(config.repositories).toEqual([
      { url: 'https://git.example.com/platform/gitops.git', credentials: { kind: 'https', username: 'promenade-bot', token: 'tok3n' }, projects: ['default', 'payments'], apps: ['myapp'], default: true },
      { url: 'git@git.example.com:team/gitops.git', credentials: { kind: 'ssh', privateKey: { value: KEY }, knownHosts: [HOST_KEY] }, projects: '*', apps: ['team-api'], default: false },
    ]);
  });

  it('names every broken rule at once, and never quotes a secret', () => {
    const problems = problemsOf(
      `repositories:
  - url: http://git.example.com/a.git
    https: { username: bot, tokenEnv: TOKEN }
    projects: [default]
    apps: [myapp]
  - url: /srv/gitops.git
    projects: [default]
    apps: [myapp]
  - url: ssh://git@git.example.com/c.git
    ssh: { privateKeyEnv: KEY, knownHosts: ["other.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq"] }
    projects: []
  - url: https://git.example.com/d.git
    default: true
    projects: [default]
    apps: [billing]
    colour: blue
`,
      { TOKEN: 'line1\nline2', KEY: 'not-a-key' },
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^repositories\[0\]\.url: uses plain http:\/\/ to git\.example\.com, which is allowed only for loopback hosts/),
        expect.stringMatching(/^repositories\[0\]\.https\.tokenEnv: the token in TOKEN contains control characters/),
        expect.stringMatching(/^repositories\[1\]\.url: is a local path or file:\/\/ URL, which a worker serves only when told to \(PROMENADE_LOCAL_REPOSITORIES=1/),
        expect.stringMatching(/^repositories\[2\]\.ssh\.privateKeyEnv: KEY does not hold a PEM or OpenSSH private key/),
        expect.stringMatching(/^repositories\[2\]\.ssh\.knownHosts: no line names the repository's host git\.example\.com/),
        expect.stringMatching(/^repositories\[2\]\.projects: must not be empty/),
        expect.stringMatching(/^repositories\[3\]\.colour: is not a known setting/),
        expect.stringMatching(/^repositories\[1\]\.apps: lists myapp, which repositories\[0\] lists too/),
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/line1|line2|not-a-key/);
  });

  it('with several repositories, each lists its apps: a clash or a missing list stops the worker at start', () => {
    const problems = problemsOf(`repositories:
  - { url: https://a.example.com/g.git, projects: [a], apps: [myapp, shared] }
  - { url: https://b.example.com/g.git, projects: [b], apps: [shared] }
  - { url: https://c.example.com/g.git, projects: [c] }
`);
    expect(problems).toEqual([
      'repositories[1].apps: lists shared, which repositories[0] lists too: an app belongs to one repository',
      expect.stringMatching(/^repositories\[2\]\.apps: is required when the worker serves more than one repository/),
    ]);
  });

  it('needs ssh credentials with pinned host keys for an ssh repository, and serves local paths only when told', () => {
    expect(problemsOf('repositories:\n  - { url: "ssh://git@git.example.com/g.git", projects: [default] }\n')).toEqual([
      expect.stringMatching(/^repositories\[0\]: an ssh repository needs ssh credentials/),
    ]);
    expect(parse('repositories:\n  - { url: /srv/gitops.git, projects: [default] }\n', { PROMENADE_LOCAL_REPOSITORIES: '1' }).repositories?.[0]?.url).toBe('/srv/gitops.git');
    expect(parse('repositories:\n  - { url: "http://127.0.0.1:8080/g.git", projects: [default] }\n').repositories).toHaveLength(1);
  });

  it('refuses PROMENADE_REPOSITORY beside a repositories section, and the legacy password with it', () => {
    const section = parse('repositories:\n  - { url: "https://a.example.com/g.git", projects: [default] }\n').repositories;
    expect(() => workerRepositories(section, { PROMENADE_REPOSITORY: 'https://b.example.com/g.git' })).toThrow(/set one of them/);
    expect(() => workerRepositories(section, { PROMENADE_GIT_PASSWORD: 'x' })).toThrow(/give each repository its credentials there/);
    expect(() => workerRepositories(undefined, { PROMENADE_REPOSITORY: 'http://git.example.com/g.git' })).toThrow(/PROMENADE_REPOSITORY uses plain http/);
    expect(() => workerRepositories(undefined, { PROMENADE_REPOSITORY: '/srv/g.git' })).toThrow(/PROMENADE_REPOSITORY is a local path/);
    expect(workerRepositories(undefined, { PROMENADE_REPOSITORY: 'https://g.example.com/g.git', PROMENADE_GIT_USERNAME: 'bot', PROMENADE_GIT_PASSWORD: 'pw' }).list).toEqual([
      { url: 'https://g.example.com/g.git', credentials: { kind: 'https', username: 'bot', token: 'pw' }, projects: '*', default: true },
    ]);
  });
});

describe("a promotion's repository", () => {
  const repositories: WorkerRepositories = {
    localAllowed: false,
    list: [
      { url: 'https://a.example.com/g.git', projects: ['a'], apps: ['myapp'], default: true },
      { url: 'https://b.example.com/g.git', projects: ['b'], apps: ['billing'], default: false },
    ],
  };
  const pick = (app: string, requested?: string) => {
    const chosen = repositoryForPromotion(repositories, app, requested);
    return 'problem' in chosen ? chosen.problem : chosen.repository.url;
  };

  it('is the one that lists the app, else the default; a named one must be listed and own the app', () => {
    expect(pick('myapp')).toBe('https://a.example.com/g.git');
    expect(pick('billing')).toBe('https://b.example.com/g.git');
    expect(pick('billing', 'https://b.example.com/g.git')).toBe('https://b.example.com/g.git');
    expect(pick('myapp', 'http://attacker.example/x.git')).toMatch(/^input\.repository is not one of the repositories this worker serves/);
    expect(pick('billing', 'https://a.example.com/g.git')).toMatch(/^app billing belongs to another repository of this worker/);
    expect(pick('other')).toMatch(/^app other is not among the apps of the default repository/);
    expect(repositoryForPromotion({ localAllowed: false, list: [] }, 'myapp', undefined)).toEqual({ problem: expect.stringMatching(/^no GitOps repository/) });
  });

  it('allows only its projects', () => {
    expect(projectAllowed(repositories.list[0]!, 'a')).toBe(true);
    expect(projectAllowed(repositories.list[0]!, 'b')).toBe(false);
    expect(projectAllowed({ ...repositories.list[0]!, projects: '*' }, 'b')).toBe(true);
  });
});
