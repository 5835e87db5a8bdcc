// Real SSH keys for the tests, made with ssh-keygen in a temporary directory: approvers as the tests need them.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestKey {
  /** Private key file (no passphrase). */
  file: string;
  /** `ssh-ed25519 AAAA...` */
  publicKey: string;
}

export async function makeKey(dir: string, name: string): Promise<TestKey> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const publicKey = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  return { file, publicKey };
}

/** The SHA256 fingerprint ssh-keygen prints for a key. */
export async function fingerprintOf(key: TestKey): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key.file}.pub`]);
  return stdout.split(' ')[1];
}
