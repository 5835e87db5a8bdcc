import { describe, expect, it } from 'vitest';
import { HelpRequested, integerValue, parseCommandLine, portFromEnv, UsageError } from '../../src/cli/args.js';

const options = { app: { type: 'string' }, wait: { type: 'boolean' }, meta: { type: 'string', multiple: true } } as const;
const USAGE = 'promenade test <id> --app <app> [--wait] [--meta k=v]...';

describe('parseCommandLine', () => {
  it('parses each kind of flag and keeps positionals', () => {
    const { flags, positionals } = parseCommandLine(['id-1', '--app', 'myapp', '--wait', '--meta', 'a=1', '--meta=b=2'], options, USAGE, 1);
    expect(flags).toEqual({ app: 'myapp', wait: true, meta: ['a=1', 'b=2'] });
    expect(positionals).toEqual(['id-1']);
  });

  it.each([
    [['--nope'], /^unknown flag --nope \(known: --app, --wait, --meta\)$/],
    [['-x'], /^unknown flag -x /],
    [['--app'], /^--app needs a value$/],
    [['--app', '--wait'], /^--app needs a value \(for a value that starts with "-", write --app=<value>\)$/],
    [['--wait=yes'], /^--wait takes no value$/],
    [['id-1', 'id-2'], /^unexpected argument "id-2" \(usage: promenade test/],
  ])('refuses %j with one line naming the flag', (argv, message) => {
    expect(() => parseCommandLine(argv, options, USAGE, 1)).toThrow(UsageError);
    expect(() => parseCommandLine(argv, options, USAGE, 1)).toThrow(message);
  });

  it('a command without positionals refuses one', () => {
    expect(() => parseCommandLine(['stray'], options, USAGE)).toThrow(/^unexpected argument "stray"/);
  });

  it('--help and -h ask for the usage', () => {
    expect(() => parseCommandLine(['--help'], options, USAGE)).toThrow(HelpRequested);
    expect(() => parseCommandLine(['--app', 'x', '-h'], options, USAGE)).toThrow(`usage: ${USAGE}`);
  });
});

describe('numbers from flags and variables', () => {
  it('reads ports from the environment with the variable named in the error', () => {
    expect(portFromEnv({}, 'TEMPORAL_PORT', 7233)).toBe(7233);
    expect(portFromEnv({ TEMPORAL_PORT: '7300' }, 'TEMPORAL_PORT', 7233)).toBe(7300);
    expect(() => portFromEnv({ TEMPORAL_PORT: 'x' }, 'TEMPORAL_PORT', 7233)).toThrow(/^TEMPORAL_PORT must be a whole number from 1 to 65535, got "x"$/);
    expect(() => portFromEnv({ TEMPORAL_PORT: '70000' }, 'TEMPORAL_PORT', 7233)).toThrow(UsageError);
  });

  it('whole numbers within bounds', () => {
    expect(integerValue('--limit', '10', 1, 1000)).toBe(10);
    expect(() => integerValue('--limit', '1.5', 1, 1000)).toThrow(/^--limit must be a whole number from 1 to 1000, got "1.5"$/);
    expect(() => integerValue('--step', '0', 1)).toThrow(/^--step must be a whole number of at least 1, got "0"$/);
    expect(() => integerValue('--step', ' ', 1)).toThrow(UsageError);
  });
});
