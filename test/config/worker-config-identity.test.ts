import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from '../../src/config/worker-config/index.js';
import { issuerUrlProblem, longestTokenAgeSeconds, verifiedGateProblem } from '../../src/config/worker-config/identity.js';
import { InvalidWorkerConfigError } from '../../src/config/worker-config/problems.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJIC2nTYuUD1BRY0aVZXNJ10NcnnElt/DnRbApmJt7wO';
const parse = (text: string) => parseWorkerConfig(text, { source: 'worker.yaml', env: {} });
const problemsOf = (text: string): string[] => {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof InvalidWorkerConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected InvalidWorkerConfigError');
};

describe('identity section of the worker configuration', () => {
  it('reads allowed signers and issuers, with defaults', () => {
    const config = parse(`
identity:
  ssh:
    allowedSigners: |
      # the SRE team
      alice@example.com ${KEY} Alice Example
  oidc:
    - issuer: https://login.example.com
      audience: promenade
    - issuer: https://token.actions.githubusercontent.com
      audience: promenade
      subjectClaim: actor
      groupsClaim: groups
      maxTokenAge: 5m
      for: [requesters]
  requester: verified
`);
    expect(config.identity).toEqual({
      ssh: { signers: [{ principals: ['alice@example.com'], keyType: 'ssh-ed25519', key: KEY.split(' ')[1], validity: [], displayName: 'Alice Example' }] },
      oidc: [
        { issuer: 'https://login.example.com', audience: 'promenade', subjectClaim: 'email', maxTokenAgeSeconds: 600, for: ['approvers', 'requesters'] },
        { issuer: 'https://token.actions.githubusercontent.com', audience: 'promenade', subjectClaim: 'actor', groupsClaim: 'groups', maxTokenAgeSeconds: 300, for: ['requesters'] },
      ],
      requester: 'verified',
    });
    expect(verifiedGateProblem(config.identity)).toBeUndefined();
    expect(longestTokenAgeSeconds(config.identity)).toBe(600);
  });

  it('reads allowed signers from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promenade-signers-'));
    await writeFile(join(dir, 'allowed_signers'), `alice@example.com ${KEY}\n`);
    const config = parse(`identity:\n  ssh:\n    allowedSignersFile: ${join(dir, 'allowed_signers')}\n`);
    expect(config.identity?.ssh?.signers.map((s) => s.principals)).toEqual([['alice@example.com']]);
    expect(problemsOf(`identity:\n  ssh:\n    allowedSignersFile: ${join(dir, 'missing')}\n`)).toEqual([expect.stringMatching(/allowedSignersFile: .*missing cannot be read: ENOENT/)]);
  });

  it('names every problem at once, with its field path', () => {
    expect(
      problemsOf(`
identity:
  groups:
    sre: [alice]
  ssh:
    allowedSigners: |
      alice ${KEY}
      *@example.com ${KEY}
    allowedSignersFile: /etc/x
  oidc:
    - issuer: http://login.example.com
      audience: ""
      subjectClaim: "e mail"
      maxTokenAge: 2d
      for: [admins]
    - issuer: https://a.example.com?x=1
      audience: promenade
  requester: trusted
`),
    ).toEqual([
      // Groups have one home, the policy section (policy.groups).
      expect.stringMatching(/^identity.groups: is not a known setting/),
      'identity.ssh: needs exactly one of allowedSigners (the text) or allowedSignersFile (a path)',
      'identity.oidc[0].issuer: must be https (http only on the loopback address)',
      'identity.oidc[0].audience: must be a non-empty string',
      'identity.oidc[0].subjectClaim: must be a claim name (letters, digits, _ . : -)',
      'identity.oidc[0].maxTokenAge: must be a duration from 1s to 24h, such as 10m',
      'identity.oidc[0].for: must list approvers, requesters or both',
      'identity.oidc[1].issuer: must not have a query or fragment',
      'identity.requester: must be "asserted" or "verified"',
    ]);
    expect(problemsOf(`identity:\n  ssh:\n    allowedSigners: |\n      alice ${KEY}\n      *@example.com ${KEY}\n`)).toEqual([
      expect.stringMatching(/^identity.ssh.allowedSigners line 2: principal "\*@example.com" is not a plain name/),
    ]);
  });

  it('refuses a verified requester with no issuer for requesters', () => {
    expect(problemsOf('identity:\n  oidc:\n    - { issuer: "https://login.example.com", audience: p, for: [approvers] }\n  requester: verified\n')).toEqual([
      'identity.requester: is "verified" but no identity.oidc issuer is for requesters (for: [requesters])',
    ]);
  });

  it('says what a verified gate is missing', () => {
    expect(verifiedGateProblem(undefined)).toMatch(/no identity section .*PROMENADE_CONFIG/);
    expect(verifiedGateProblem(parse('identity:\n  oidc:\n    - { issuer: "https://ci.example.com", audience: p, for: [requesters] }\n').identity)).toMatch(
      /names no way to verify an approver/,
    );
  });

  it('takes https issuers, and http only on loopback', () => {
    expect(issuerUrlProblem('https://login.example.com/realms/acme')).toBeUndefined();
    expect(issuerUrlProblem('http://127.0.0.1:5556')).toBeUndefined();
    expect(issuerUrlProblem('http://localhost:5556/dex')).toBeUndefined();
    expect(issuerUrlProblem('http://10.0.0.1')).toMatch(/https/);
    expect(issuerUrlProblem('https://u:p@login.example.com')).toMatch(/credentials/);
    expect(issuerUrlProblem('login.example.com')).toMatch(/URL/);
  });
});
