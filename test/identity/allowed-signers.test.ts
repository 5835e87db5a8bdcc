import { describe, expect, it } from 'vitest';
import { allowedSignersFile, parseAllowedSigners } from '../../src/identity/allowed-signers.js';
import { canonicalStatement, isSignedAt, signedAtOf } from '../../src/identity/decision-statement.js';

// Real ed25519 and RSA public key blobs (made with ssh-keygen for this test; the private halves were thrown away).
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIJIC2nTYuUD1BRY0aVZXNJ10NcnnElt/DnRbApmJt7wO';

const parse = (text: string) => {
  const problems: string[] = [];
  const signers = parseAllowedSigners(text, (line, rule) => problems.push(`line ${line}: ${rule}`));
  return { signers, problems };
};

describe('allowed signers (git format)', () => {
  it('reads principals, options, key and the trailing name; skips comments and blank lines', () => {
    const { signers, problems } = parse(
      `# approvers\n\nalice@example.com,alice namespaces="git,promenade",valid-after="20260101" ssh-ed25519 ${ED25519} Alice Example\n`,
    );
    expect(problems).toEqual([]);
    expect(signers).toEqual([
      { principals: ['alice@example.com', 'alice'], keyType: 'ssh-ed25519', key: ED25519, validity: ['valid-after="20260101"'], displayName: 'Alice Example' },
    ]);
  });

  it('writes every key restricted to the promenade namespace', () => {
    const { signers } = parse(`alice@example.com ssh-ed25519 ${ED25519} Alice\n`);
    expect(allowedSignersFile(signers)).toBe(`alice@example.com namespaces="promenade" ssh-ed25519 ${ED25519}\n`);
  });

  it.each([
    [`*@example.com ssh-ed25519 ${ED25519}`, /principal "\*@example.com" is not a plain name/],
    [`alice cert-authority ssh-ed25519 ${ED25519}`, /cert-authority keys are not supported/],
    [`alice namespaces="git" ssh-ed25519 ${ED25519}`, /does not include "promenade"/],
    [`alice valid-after="yesterday" ssh-ed25519 ${ED25519}`, /valid-after must be a date/],
    [`alice no-touch-required ssh-ed25519 ${ED25519}`, /unknown option "no-touch-required"/],
    [`alice ssh-dss ${ED25519}`, /key type "ssh-dss" is not one of/],
    [`alice ssh-rsa ${ED25519}`, /not a valid base64 public key of that type/],
    ['alice ssh-ed25519 not-base64!', /not a valid base64 public key/],
    ['alice ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJIC2nTYuUD1BRY0aVZXNJ10NcnnElt/DnRbApmJt7w', /not a valid base64 public key/],
    ['alice', /key type "" is not one of/],
    [`alice namespaces="promenade ssh-ed25519 ${ED25519}`, /unterminated quoted option/],
  ])('refuses %s', (line, rule) => {
    const { signers, problems } = parse(`# first\n${line}\n`);
    expect(signers).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/^line 2: /)]);
    expect(problems[0]).toMatch(rule);
  });
});

describe('the decision statement', () => {
  const statement = {
    promotionId: 'promote:myapp:nginx:1.25',
    runId: 'run-1',
    gate: 'prod',
    image: 'nginx:1.25',
    decision: 'approve' as const,
    comment: '',
    signedAt: '2026-11-30T21:12:30Z',
  };

  it('is the same bytes for the same decision, one JSON-encoded field per line', () => {
    expect(canonicalStatement(statement)).toBe(
      'promenade decision v1\npromotion: "promote:myapp:nginx:1.25"\nrun: "run-1"\ngate: "prod"\nimage: "nginx:1.25"\ndecision: "approve"\ncomment: ""\nsigned-at: "2026-11-30T21:12:30Z"\n',
    );
  });

  it('cannot be made to carry a forged field through a value', () => {
    const forged = canonicalStatement({ ...statement, comment: 'ok"\ngate: "staging' });
    expect(forged.split('\n').filter((l) => l.startsWith('gate:'))).toEqual(['gate: "prod"']);
    expect(forged).not.toBe(canonicalStatement(statement));
  });

  it('takes times to the second in UTC', () => {
    expect(signedAtOf(new Date('2026-11-30T21:12:30.987Z'))).toBe('2026-11-30T21:12:30Z');
    expect(isSignedAt('2026-11-30T21:12:30Z')).toBe(true);
    expect(isSignedAt('2026-11-30T21:12:30.000Z')).toBe(false);
    expect(isSignedAt('2026-13-30T21:12:30Z')).toBe(false);
  });
});
