import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedSigners } from '../../src/identity/allowed-signers.js';
import { canonicalStatement, type DecisionStatement } from '../../src/identity/decision-statement.js';
import { signatureBodyProblem } from '../../src/identity/credential.js';
import { agentKeys, signStatement, SshSignatureVerifier } from '../../src/identity/ssh-signature.js';
import { fingerprintOf, makeKey, type TestKey } from '../support/ssh-keys.js';

const statement: DecisionStatement = {
  promotionId: 'promote:myapp:nginx:1.25',
  runId: '0190f1c2-0000-7000-8000-000000000001',
  gate: 'prod',
  image: 'nginx:1.25',
  decision: 'approve',
  comment: 'checked the dashboards',
  signedAt: '2026-11-30T21:12:30Z',
};

let dir: string;
let alice: TestKey;
let bob: TestKey;
let stranger: TestKey;
let verifier: SshSignatureVerifier;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promenade-ssh-test-'));
  [alice, bob, stranger] = await Promise.all([makeKey(dir, 'alice'), makeKey(dir, 'bob'), makeKey(dir, 'stranger')]);
  const signers = parseAllowedSigners(
    [`alice@example.com ${alice.publicKey} Alice Example`, `bob@example.com,bob ${bob.publicKey}`].join('\n'),
    (line, rule) => {
      throw new Error(`line ${line}: ${rule}`);
    },
  );
  verifier = new SshSignatureVerifier(signers);
});
afterAll(async () => {
  await verifier.close();
  await rm(dir, { recursive: true, force: true });
});

const sign = (s: DecisionStatement, key: TestKey) => signStatement(canonicalStatement(s), { file: key.file });

describe('SSH-signed decisions', () => {
  it('verifies a signed decision and names the principal, its key fingerprint and display name', async () => {
    const signature = await sign(statement, alice);
    expect(signatureBodyProblem(signature)).toBeUndefined();
    const result = await verifier.verify({ statement: canonicalStatement(statement), signature });
    expect(result).toEqual({ verified: true, principal: 'alice@example.com', fingerprint: await fingerprintOf(alice), displayName: 'Alice Example' });
  });

  it('takes the identity from the key, never from the approver text', async () => {
    const signature = await sign(statement, alice);
    const result = await verifier.verify({ statement: canonicalStatement(statement), signature, approver: 'bob@example.com' });
    expect(result).toMatchObject({ verified: true, principal: 'alice@example.com' });
  });

  it('uses the approver text only to choose among the names one key is listed under', async () => {
    const signature = await sign(statement, bob);
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature, approver: 'bob' })).toMatchObject({ principal: 'bob' });
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature })).toMatchObject({ principal: 'bob@example.com' });
  });

  it.each([
    ['another promotion', { promotionId: 'promote:other:nginx:1.25' }],
    ['another run of the same promotion', { runId: '0190f1c2-0000-7000-8000-000000000002' }],
    ['another gate', { gate: 'staging' }],
    ['another image', { image: 'nginx:1.26' }],
    ['another decision', { decision: 'reject' as const }],
    ['another comment', { comment: 'LGTM' }],
    ['another time', { signedAt: '2026-11-30T21:12:31Z' }],
  ])('refuses a signature made for %s', async (_what, change) => {
    const signature = await sign(statement, alice);
    const result = await verifier.verify({ statement: canonicalStatement({ ...statement, ...change }), signature });
    expect(result).toEqual({ verified: false, reason: expect.stringMatching(/^the signature by alice@example.com is not for this decision/) });
  });

  it('refuses a key that is not in the allowed signers', async () => {
    const signature = await sign(statement, stranger);
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature, approver: 'alice@example.com' })).toEqual({
      verified: false,
      reason: expect.stringMatching(/not in the worker's allowed signers/),
    });
  });

  it('refuses what is not a signature before running ssh-keygen', async () => {
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature: 'not base64!' })).toMatchObject({ verified: false, reason: /must be base64/ });
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature: 'QUFBQQ==' })).toMatchObject({ verified: false, reason: /no SSHSIG preamble/ });
    expect(signatureBodyProblem('U1NIU0lH'.padEnd(8000, 'A'))).toMatch(/at most/);
  });

  it('refuses a signature whose bytes were altered', async () => {
    const signature = await sign(statement, alice);
    const i = signature.length - 12;
    const altered = signature.slice(0, i) + (signature[i] === 'A' ? 'B' : 'A') + signature.slice(i + 1);
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature: altered })).toMatchObject({ verified: false });
  });

  it('refuses a signature made in another namespace (a git commit signature, say)', async () => {
    const { runKeygen, signatureBody } = await import('../../src/identity/ssh-signature.js');
    const git = await runKeygen(['-Y', 'sign', '-n', 'git', '-f', alice.file], canonicalStatement(statement));
    expect(git.code).toBe(0);
    expect(await verifier.verify({ statement: canonicalStatement(statement), signature: signatureBody(git.stdout) })).toMatchObject({ verified: false });
  });

  it('keeps the allowed signers in a directory only its owner can open', async () => {
    await verifier.verify({ statement: canonicalStatement(statement), signature: await sign(statement, alice) });
    const found = (verifier as unknown as { dir: Promise<string> }).dir;
    expect(((await stat(await found)).mode & 0o777).toString(8)).toBe('700');
  });

  it('signs with a key held by the ssh-agent', async () => {
    const { spawn, execFileSync } = await import('node:child_process');
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100; i++) {
        try {
          await stat(socket);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const env = { ...process.env, SSH_AUTH_SOCK: socket };
      execFileSync('ssh-add', [alice.file], { env, stdio: 'ignore' });
      const [key] = await agentKeys({ env });
      expect(key).toContain(alice.publicKey);
      const signature = await signStatement(canonicalStatement(statement), { agentPublicKey: key }, { env });
      expect(await verifier.verify({ statement: canonicalStatement(statement), signature })).toMatchObject({ verified: true, principal: 'alice@example.com' });
    } finally {
      agent.kill();
    }
  });
});
