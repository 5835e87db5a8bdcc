// Signing and verifying decisions with OpenSSH's own signatures (`ssh-keygen -Y sign|find-principals|verify`, the
// format git uses to sign commits): approvers keep the keys and agent they already have, and the worker checks with
// the same tool anyone can use to re-verify a past approval. ssh-keygen runs without a shell, with a time limit.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedSignersFile, displayNameOf, type AllowedSigner } from './allowed-signers.js';
import { signatureBodyProblem } from './credential.js';
import { SIGNATURE_NAMESPACE } from './decision-statement.js';

const ARMOUR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOUR_END = '-----END SSH SIGNATURE-----';
const KEYGEN_TIMEOUT_MS = 15_000;

/** The one-line body of an armoured signature, as a decision carries it (JSON strings and web forms prefer one line). */
export function signatureBody(armoured: string): string {
  return armoured.replace(ARMOUR_BEGIN, '').replace(ARMOUR_END, '').replace(/\s+/g, '');
}

export function armouredSignature(body: string): string {
  const lines = body.match(/.{1,70}/g) ?? [];
  return `${ARMOUR_BEGIN}\n${lines.join('\n')}\n${ARMOUR_END}\n`;
}

export interface KeygenResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ssh-keygen with `input` on stdin. A missing ssh-keygen is an error, not a refusal: the worker is broken. */
export function runKeygen(args: string[], input: string, { keygen = 'ssh-keygen', env }: { keygen?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KeygenResult> {
  return new Promise((resolve, reject) => {
    // Only what ssh-keygen needs: the agent socket for signing, PATH and HOME; never the worker's secrets.
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...(env ?? {}) };
    const child = spawn(keygen, args, { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'], timeout: KEYGEN_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error(`${keygen} was not found: install OpenSSH's client tools (Debian: openssh-client)`) : err),
    );
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export type SigningKey =
  /** A private key file (ssh-keygen asks for its passphrase on the terminal if it has one). */
  | { file: string }
  /** A public key held by the ssh-agent at SSH_AUTH_SOCK, in `authorized_keys` form. */
  | { agentPublicKey: string };

/** Signs the canonical statement; returns the signature body. */
export async function signStatement(statement: string, key: SigningKey, { keygen, env = process.env }: { keygen?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const agentEnv = env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: env.SSH_AUTH_SOCK } : {};
  if ('file' in key) {
    const result = await runKeygen(['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', key.file], statement, { keygen, env: agentEnv });
    if (result.code !== 0) throw new Error(`ssh-keygen could not sign with ${key.file}: ${lastLine(result.stderr)}`);
    return signatureBody(result.stdout);
  }
  const dir = await mkdtemp(join(tmpdir(), 'promenade-sign-'));
  try {
    const pub = join(dir, 'key.pub');
    await writeFile(pub, `${key.agentPublicKey.trim()}\n`, { mode: 0o600 });
    // -U: the private half is in the agent.
    const result = await runKeygen(['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-U', '-f', pub], statement, { keygen, env: agentEnv });
    if (result.code !== 0) throw new Error(`ssh-keygen could not sign with the agent's key: ${lastLine(result.stderr)}`);
    return signatureBody(result.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The keys the ssh-agent holds (`ssh-add -L`), in `authorized_keys` form. */
export async function agentKeys({ env = process.env }: { env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  if (!env.SSH_AUTH_SOCK) return [];
  const result = await new Promise<KeygenResult>((resolve, reject) => {
    const child = spawn('ssh-add', ['-L'], { env: { PATH: env.PATH, SSH_AUTH_SOCK: env.SSH_AUTH_SOCK }, timeout: KEYGEN_TIMEOUT_MS });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
  });
  return result.code === 0 ? result.stdout.split('\n').filter((l) => l.trim() !== '') : [];
}

export type SshVerification = { verified: true; principal: string; fingerprint: string; displayName?: string } | { verified: false; reason: string };

/**
 * Verifies signatures against the worker's allowed signers. The file ssh-keygen reads is written once, to a
 * directory only this process's user can open, and removed by close().
 */
export class SshSignatureVerifier {
  private dir?: Promise<string>;

  constructor(
    private readonly signers: readonly AllowedSigner[],
    private readonly options: { keygen?: string } = {},
  ) {}

  private directory(): Promise<string> {
    this.dir ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'promenade-signers-'));
      await writeFile(join(dir, 'allowed_signers'), allowedSignersFile(this.signers), { mode: 0o600 });
      return dir;
    })();
    return this.dir;
  }

  /** Throws if ssh-keygen cannot run at all: checked when the worker starts, so a missing tool is not a refusal. */
  async selfCheck(): Promise<void> {
    await runKeygen(['-Y', 'find-principals'], '', this.options);
  }

  /**
   * `approver` only picks among the principals the key is listed under; it never makes a signature count. The
   * principal ssh-keygen confirms is the identity.
   */
  async verify({ statement, signature, approver }: { statement: string; signature: string; approver?: string }): Promise<SshVerification> {
    const problem = signatureBodyProblem(signature);
    if (problem) return { verified: false, reason: `signature ${problem}` };
    const dir = await this.directory();
    const allowed = join(dir, 'allowed_signers');
    const work = await mkdtemp(join(dir, 'sig-'));
    try {
      const sig = join(work, 'decision.sig');
      await writeFile(sig, armouredSignature(signature), { mode: 0o600 });
      const found = await runKeygen(['-Y', 'find-principals', '-s', sig, '-f', allowed], '', this.options);
      const principals = found.code === 0 ? found.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
      if (principals.length === 0) {
        if (/invalid format|parse signature|Couldn't parse/i.test(found.stderr)) return { verified: false, reason: 'signature is not a valid SSH signature' };
        return { verified: false, reason: 'the signing key is not in the worker\'s allowed signers (or not valid at this time)' };
      }
      const principal = approver && principals.includes(approver) ? approver : principals[0];
      const checked = await runKeygen(['-Y', 'verify', '-f', allowed, '-I', principal, '-n', SIGNATURE_NAMESPACE, '-s', sig], statement, this.options);
      // Good "promenade" signature for alice@example.com with ED25519 key SHA256:...
      const good = checked.code === 0 ? /^Good "[^"]*" signature for (.+) with \S+ key (SHA256:[A-Za-z0-9+/=]+)/m.exec(checked.stdout) : null;
      if (!good) {
        return {
          verified: false,
          reason: `the signature by ${principal} is not for this decision (it was made for another promotion, run, gate, image, decision, comment or time, or altered)`,
        };
      }
      const displayName = displayNameOf(this.signers, principal);
      return { verified: true, principal, fingerprint: good[2], ...(displayName ? { displayName } : {}) };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
