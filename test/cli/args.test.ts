import { describe, expect, it } from 'vitest';
import { parseFlags, portFromEnv, UsageError } from '../../src/cli/args.js';

const spec = { app: { type: 'string' }, wait: { type: 'boolean' }, port: { type: 'port' }, meta: { type: 'list' } } as const;

describe('parseFlags', () => {
  it('parses each kind of flag and keeps positionals', () => {
    const { flags, positional } = parseFlags(['id-1', '--app', 'myapp', '--wait', '--port=8080', '--meta', 'a=1', '--meta', 'b=2'], spec);
    expect(flags).toEqual({ app: 'myapp', wait: true, port: 8080, meta: ['a=1', 'b=2'] });
    expect(positional).toEqual(['id-1']);
  });

  it.each([
    [['--nope'], /unknown flag --nope/],
    [['--app'], /--app needs a value/],
    [['--app', '--wait'], /--app needs a value/],
    [['--wait=yes'], /--wait takes no value/],
    [['--port', '70000'], /--port must be a port number from 1 to 65535, got "70000"/],
    [['--port', 'http'], /--port must be a port number/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseFlags(argv, spec)).toThrow(UsageError);
    expect(() => parseFlags(argv, spec)).toThrow(message);
  });

  it('reads ports from the environment with the variable named in the error', () => {
    expect(portFromEnv({}, 'TEMPORAL_PORT', 7233)).toBe(7233);
    expect(portFromEnv({ TEMPORAL_PORT: '7300' }, 'TEMPORAL_PORT', 7233)).toBe(7300);
    expect(() => portFromEnv({ TEMPORAL_PORT: 'x' }, 'TEMPORAL_PORT', 7233)).toThrow(/TEMPORAL_PORT must be a port number/);
  });
});
