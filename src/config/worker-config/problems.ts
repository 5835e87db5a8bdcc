// How the worker's configuration file reports what is wrong with it: every problem is collected (not just the
// first), each names its field path and the rule, and secrets are only ever named by their variable, never quoted.
import { CONTROL_CHARACTERS } from '../text-rules.js';

export class InvalidWorkerConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidWorkerConfigError';
  }
}

/** Collects problems while a section is read; `at` is a field path such as `repositories[0].url`. */
export class ConfigProblems {
  readonly list: string[] = [];

  add(at: string, rule: string): void {
    this.list.push(`${at}: ${rule}`);
  }

  /** A mapping (plain object), or undefined after recording the problem. */
  mapping(value: unknown, at: string): Record<string, unknown> | undefined {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.add(at, 'must be a mapping');
    return undefined;
  }

  sequence(value: unknown, at: string): unknown[] | undefined {
    if (Array.isArray(value)) return value;
    this.add(at, 'must be a list');
    return undefined;
  }

  /** A single-line string without control characters, or undefined after recording the problem. */
  text(value: unknown, at: string, { max = 1024 }: { max?: number } = {}): string | undefined {
    if (typeof value !== 'string' || value === '') this.add(at, 'must be a non-empty string');
    else if (CONTROL_CHARACTERS.test(value)) this.add(at, 'must not contain control characters or line breaks');
    else if (value.length > max) this.add(at, `must be at most ${max} characters`);
    else return value;
    return undefined;
  }

  /** Keys outside `allowed` are typos or settings of a newer version: refuse them rather than ignore them. */
  onlyKeys(map: Record<string, unknown>, allowed: readonly string[], at: string): void {
    for (const key of Object.keys(map)) {
      if (!allowed.includes(key)) this.add(at ? `${at}.${key}` : key, `is not a known setting (known: ${allowed.join(', ')})`);
    }
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A secret is configured by the name of the environment variable that holds it, so the file itself can be
 * committed, mounted from a ConfigMap and printed. The value is read here and never appears in a message.
 */
export function secretFromEnv(name: unknown, at: string, env: NodeJS.ProcessEnv, problems: ConfigProblems): string | undefined {
  if (typeof name !== 'string' || !ENV_NAME.test(name)) {
    problems.add(at, 'must name an environment variable (letters, digits and _), not hold the secret itself');
    return undefined;
  }
  const value = env[name];
  if (value === undefined || value === '') {
    problems.add(at, `names ${name}, which is not set in the worker's environment`);
    return undefined;
  }
  return value;
}
