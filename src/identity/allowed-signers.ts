// Approvers' SSH public keys in git's allowed-signers format (ssh-keygen(1), ALLOWED SIGNERS), as the worker's
// operators write them: `principals [options] keytype key [name]`, one key per line, `#` comments. Read and checked
// here once, at start; what is written for ssh-keygen is rebuilt from the checked entries, restricted to promenade's
// signature namespace. Pure.
import { CONTROL_CHARACTERS } from '../config/text-rules.js';
import { SIGNATURE_NAMESPACE } from './decision-statement.js';

export interface AllowedSigner {
  /** Who signs with this key (`alice@example.com`); several when a person is known under more than one name. */
  principals: string[];
  keyType: string;
  /** The base64 key blob. */
  key: string;
  /** Options kept as written: `valid-after`/`valid-before` (ssh-keygen enforces them). */
  validity: string[];
  /** The text after the key, for people to read (`Alice Example`). */
  displayName?: string;
}

const KEY_TYPES = [
  'ssh-ed25519',
  'sk-ssh-ed25519@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
];
const KEY_TYPE_LIKE = /^(ssh-|ecdsa-|sk-)/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A principal is a name, never a pattern: an approver is one person, and `*` would make the subject ambiguous. */
const PRINCIPAL = /^[A-Za-z0-9._@+-]{1,256}$/;
const MAX_SIGNERS = 10_000;

/** Parses the file's text; `problems` receives `line N: rule` for each bad line, and bad lines are left out. */
export function parseAllowedSigners(text: string, report: (line: number, rule: string) => void): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const problem = (rule: string) => report(index + 1, rule);
    if (signers.length >= MAX_SIGNERS) return problem(`more than ${MAX_SIGNERS} keys`);
    if (CONTROL_CHARACTERS.test(line.replace(/\t/g, ' '))) return problem('contains control characters');
    const fields = splitFields(line);
    if (!fields) return problem('has an unterminated quoted option');
    const [principalField, ...rest] = fields;
    const principals = principalField.split(',');
    const badPrincipal = principals.find((p) => !PRINCIPAL.test(p));
    if (badPrincipal !== undefined) {
      return problem(`principal ${JSON.stringify(badPrincipal)} is not a plain name (letters, digits and . _ @ + -; no patterns)`);
    }
    let options: string[] = [];
    if (rest.length > 0 && !KEY_TYPE_LIKE.test(rest[0])) options = splitOptions(rest.shift()!);
    const validity: string[] = [];
    for (const option of options) {
      const [name, value] = splitOption(option);
      if (name === 'cert-authority') return problem('cert-authority keys are not supported: list each approver\'s own key');
      if (name === 'namespaces') {
        const namespaces = (value ?? '').split(',');
        if (!namespaces.includes(SIGNATURE_NAMESPACE)) return problem(`namespaces="${value}" does not include "${SIGNATURE_NAMESPACE}", so this key could never sign a decision`);
      } else if (name === 'valid-after' || name === 'valid-before') {
        if (!value || !/^\d{8}(\d{4}(\d{2})?)?Z?$/.test(value)) return problem(`${name} must be a date YYYYMMDD[HHMM[SS]][Z]`);
        validity.push(`${name}="${value}"`);
      } else return problem(`unknown option ${JSON.stringify(name)} (known: namespaces, valid-after, valid-before)`);
    }
    const [keyType, key, ...comment] = rest;
    if (!keyType || !KEY_TYPES.includes(keyType)) return problem(`key type ${JSON.stringify(keyType ?? '')} is not one of ${KEY_TYPES.join(', ')}`);
    if (!key || !BASE64.test(key) || !keyBlobNames(key, keyType)) return problem(`the ${keyType} key is not a valid base64 public key of that type`);
    const displayName = comment.join(' ').trim();
    signers.push({ principals, keyType, key, validity, ...(displayName ? { displayName: displayName.slice(0, 128) } : {}) });
  });
  return signers;
}

/** The file ssh-keygen reads: every key restricted to promenade's namespace, comments dropped. */
export function allowedSignersFile(signers: readonly AllowedSigner[]): string {
  return signers
    .map((s) => `${s.principals.join(',')} ${[`namespaces="${SIGNATURE_NAMESPACE}"`, ...s.validity].join(',')} ${s.keyType} ${s.key}\n`)
    .join('');
}

/** The display name configured for a principal, if any. */
export function displayNameOf(signers: readonly AllowedSigner[], principal: string, key?: string): string | undefined {
  return signers.find((s) => s.principals.includes(principal) && (key === undefined || s.key === key))?.displayName;
}

/** Whitespace splits fields, except inside double quotes (option values). */
function splitFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    if (!quoted && (char === ' ' || char === '\t')) {
      if (current) fields.push(current);
      current = '';
    } else current += char;
  }
  if (quoted) return undefined;
  if (current) fields.push(current);
  return fields;
}

function splitOptions(field: string): string[] {
  const options: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of field) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === ',') {
      options.push(current);
      current = '';
    } else current += char;
  }
  options.push(current);
  return options;
}

function splitOption(option: string): [string, string | undefined] {
  const eq = option.indexOf('=');
  if (eq < 0) return [option.toLowerCase(), undefined];
  return [option.slice(0, eq).toLowerCase(), option.slice(eq + 1).replace(/^"|"$/g, '')];
}

/**
 * An SSH public key blob is a run of length-prefixed fields starting with its own type name (RFC 4253, 6.6): a
 * pasted key of another type, or one cut short, is refused here rather than by ssh-keygen at the first approval.
 */
function keyBlobNames(key: string, keyType: string): boolean {
  if (key.length % 4 !== 0) return false;
  let blob: Uint8Array;
  try {
    blob = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  const fields: Uint8Array[] = [];
  for (let at = 0; at < blob.length; ) {
    if (at + 4 > blob.length) return false;
    const length = ((blob[at] << 24) >>> 0) + (blob[at + 1] << 16) + (blob[at + 2] << 8) + blob[at + 3];
    if (at + 4 + length > blob.length) return false;
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields.length >= 2 && new TextDecoder().decode(fields[0]) === keyType;
}
