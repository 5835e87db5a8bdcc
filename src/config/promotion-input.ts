// Validates a promotion request at the edge, before anything is committed. Pure: the workflow calls it too, and
// because InvalidInputError is a non-retryable ApplicationFailure, a bad input fails the run instead of being
// retried forever as a workflow task failure.
import { ApplicationFailure } from '@temporalio/common';
import { ImageReferenceError, parseImageReference } from './image-reference.js';
import { redactUrlCredentials, repositoryUrlProblem } from './repository-url.js';
import { CONTROL_CHARACTERS, DNS_LABEL, MAX_NAME_LENGTH, quoteValue } from './text-rules.js';

export class InvalidInputError extends ApplicationFailure {
  constructor(
    /** Path of the offending field, e.g. `input.metadata.ci-run`. */
    readonly field: string,
    /** The rule broken, in a few words. */
    readonly rule: string,
    message: string,
  ) {
    super(message, 'InvalidInput', true, [{ field, rule }]);
  }
}

const MAX_REQUESTED_BY = 256;
const METADATA_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_METADATA_KEY = 64;
const MAX_METADATA_ENTRIES = 20;
const MAX_METADATA_VALUE = 1024;
const KEYS = new Set(['app', 'image', 'requestedBy', 'metadata', 'repository', 'allowOlder', 'requesterIdToken']);
const MAX_ID_TOKEN = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function validatePromotionInput(raw: unknown): PromotionInput {
  const fail = (field: string, rule: string, value: unknown, explanation = rule): never => {
    throw new InvalidInputError(field, rule, `${field}: ${show(value)} ${explanation}`);
  };
  if (!isPlainObject(raw)) return fail('input', 'must be an object', raw, 'is not an object');
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) fail(`input.${key}`, 'unknown key', raw[key], `is not a known field (expected ${[...KEYS].join(', ')})`);
  }

  const { app, image, requestedBy, metadata, repository, allowOlder } = raw;
  if (typeof app !== 'string') fail('input.app', 'must be a string', app, 'is not a string');
  const appName = app as string;
  if (appName.length > MAX_NAME_LENGTH) fail('input.app', 'too long', appName, `is longer than ${MAX_NAME_LENGTH} characters`);
  if (!DNS_LABEL.test(appName)) fail('input.app', 'must be a DNS-1123 label', appName, 'is not a valid app name (lowercase letters, digits and "-", starting and ending with a letter or digit)');

  if (typeof image !== 'string') fail('input.image', 'must be a string', image, 'is not a string');
  try {
    parseImageReference(image as string);
  } catch (error) {
    if (!(error instanceof ImageReferenceError)) throw error;
    fail('input.image', error.reason, image, `is not a valid OCI image reference (${error.reason})`);
  }

  if (typeof requestedBy !== 'string') fail('input.requestedBy', 'must be a string', requestedBy, 'is not a string');
  const requester = requestedBy as string;
  if (requester.trim() === '') fail('input.requestedBy', 'must not be empty', requester, 'is empty');
  if (requester.length > MAX_REQUESTED_BY) fail('input.requestedBy', 'too long', requester, `is longer than ${MAX_REQUESTED_BY} characters`);
  if (CONTROL_CHARACTERS.test(requester)) fail('input.requestedBy', 'no control characters', requester, 'contains control characters');

  const input: PromotionInput = { app: appName, image: image as string, requestedBy: requester };

  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) fail('input.metadata', 'must be a map of strings', metadata, 'is not a map of strings');
    const entries = Object.entries(metadata as Record<string, unknown>);
    if (entries.length > MAX_METADATA_ENTRIES) fail('input.metadata', 'too many entries', `${entries.length} entries`, `are more than ${MAX_METADATA_ENTRIES}`);
    // Metadata becomes git commit trailers (`Key: value`), so keys and values must keep to one trailer line.
    for (const [key, value] of entries) {
      const field = `input.metadata.${key}`;
      if (key.length > MAX_METADATA_KEY || !METADATA_KEY.test(key)) fail(field, 'invalid key', key, `is not a valid metadata key (letters, digits, "_", ".", "-", at most ${MAX_METADATA_KEY})`);
      if (typeof value !== 'string') fail(field, 'must be a string', value, 'is not a string');
      const text = value as string;
      if (text.length > MAX_METADATA_VALUE) fail(field, 'too long', `${text.slice(0, 40)}...`, `is longer than ${MAX_METADATA_VALUE} characters`);
      if (CONTROL_CHARACTERS.test(text)) fail(field, 'no newlines or control characters', text, 'contains newlines or control characters');
    }
    input.metadata = Object.fromEntries(entries) as Record<string, string>;
  }

  if (repository !== undefined) {
    if (typeof repository !== 'string') fail('input.repository', 'must be a string', repository, 'is not a string');
    const problem = repositoryUrlProblem(repository as string);
    // Echo a refused URL only redacted: it may carry the secret itself.
    if (problem) fail('input.repository', problem, redactUrlCredentials(repository as string), problem);
    input.repository = repository as string;
  }
  if (allowOlder !== undefined) {
    if (typeof allowOlder !== 'boolean') fail('input.allowOlder', 'must be true or false', allowOlder, 'is not true or false');
    if (allowOlder) input.allowOlder = true;
  }

  const { requesterIdToken } = raw;
  if (requesterIdToken !== undefined) {
    // Never echoed: a token that is refused here was never checked, but it is still someone's credential.
    if (typeof requesterIdToken !== 'string' || requesterIdToken.length > MAX_ID_TOKEN || !COMPACT_JWS.test(requesterIdToken)) {
      fail('input.requesterIdToken', 'must be an ID token', '(not shown)', `is not an ID token (a signed JWT of at most ${MAX_ID_TOKEN} characters)`);
    }
    input.requesterIdToken = requesterIdToken as string;
  }
  return input;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function show(value: unknown): string {
  return quoteValue(value, 300);
}

export interface PromotionInput {
  app: string;
  /** OCI image reference: `registry/repo:tag`, `repo@sha256:...`, or both. */
  image: string;
  requestedBy: string;
  /** Free-form context such as the CI run URL or the source commit; recorded in commit trailers. */
  metadata?: Record<string, string>;
  /** Overrides the worker's default GitOps repository (a URL without credentials). */
  repository?: string;
  /**
   * Deploy even though a promotion started after this one already reached prod (or, under `supersede`, the
   * environment this one enters): the caller says so explicitly, and the commits record it.
   */
  allowOlder?: boolean;
  /**
   * CI's OpenID Connect token for the requester, verified at start and accepted once. It stays in history, which is
   * why each token counts only once and only while fresh.
   */
  requesterIdToken?: string;
}
