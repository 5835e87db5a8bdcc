// Command-line flags for every `promenade` command, through node:util parseArgs in strict mode: a command
// checks its flags before contacting anything, and an unknown flag or a missing value is a usage error
// (exit 2) whose one line names the flag. Only the translation of parseArgs' errors into that line lives here.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` / `-h` on any command: runCommand prints the usage on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super(usage);
    this.name = 'HelpRequested';
  }
}

type FlagOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
type Parsed<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>>;

export interface CommandLine<O extends FlagOptions> {
  flags: Parsed<O>['values'];
  positionals: string[];
}

/**
 * Parses `argv` against `options`. `usage` is the command's one-line synopsis, printed for --help and after
 * a stray argument; `positionals` is how many plain arguments the command takes (default none).
 */
export function parseCommandLine<O extends FlagOptions>(argv: string[], options: O, usage: string, positionals = 0): CommandLine<O> {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested(`usage: ${usage}`);
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as Parsed<O>;
  } catch (err) {
    throw new UsageError(usageMessage(err, options));
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}" (usage: ${usage})`);
  return { flags: parsed.values, positionals: parsed.positionals };
}

/** parseArgs' errors, in the CLI's words: which flag, what is wrong with it. */
function usageMessage(err: unknown, options: FlagOptions): string {
  const { code, message } = err as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const known = Object.keys(options).map((name) => `--${name}`);
      return `unknown flag ${flag} (${known.length ? `known: ${known.join(', ')}` : 'this command takes no flags'})`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) return `${flag} takes no value`;
      if (/ambiguous/.test(message)) return `${flag} needs a value (for a value that starts with "-", write ${flag}=<value>)`;
      return `${flag} needs a value`;
    default:
      return message.split('\n')[0]!;
  }
}

/** A whole number within bounds, from a flag or a variable; the error names where it came from. */
export function integerValue(name: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${name} must be a whole number ${range}, got "${raw}"`);
  }
  return value;
}

export function portValue(name: string, raw: string): number {
  return integerValue(name, raw, 1, 65535);
}

export function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : portValue(name, raw);
}
