import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig, workerConfigFromEnv } from '../../src/config/worker-config/index.js';
import { ConfigProblems, InvalidWorkerConfigError, secretFromEnv } from '../../src/config/worker-config/problems.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseWorkerConfig(text, { source: 'worker.yaml', env });
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidWorkerConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected InvalidWorkerConfigError');
};

describe('worker configuration file', () => {
  it('accepts an empty file', () => {
    expect(parse('')).toEqual({ source: 'worker.yaml' });
  });

  it('refuses unknown top-level keys, naming each', () => {
    expect(problemsOf(() => parse('repositorys: []\nfoo: 1\n'))).toEqual([
      expect.stringMatching(/^repositorys: is not a known setting/),
      expect.stringMatching(/^foo: is not a known setting/),
    ]);
  });

  it('refuses a document that is not a mapping, and broken YAML', () => {
    expect(problemsOf(() => parse('- a\n- b\n'))).toEqual(['(top level): must be a mapping']);
    expect(problemsOf(() => parse('a: [\n'))[0]).toMatch(/^not valid YAML/);
    expect(problemsOf(() => parse('a: &x 1\nb: *x\n'))[0]).toMatch(/^not valid YAML/);
  });

  it('names an unreadable file in the error', async () => {
    await expect(workerConfigFromEnv({ PROMENADE_CONFIG: '/nonexistent/worker.yaml' })).rejects.toThrow(/PROMENADE_CONFIG=\/nonexistent\/worker.yaml.*ENOENT/s);
    expect(await workerConfigFromEnv({})).toBeUndefined();
    const dir = await mkdtemp(join(tmpdir(), 'promenade-config-'));
    await writeFile(join(dir, 'w.yaml'), '{}\n');
    expect(await workerConfigFromEnv({ PROMENADE_CONFIG: join(dir, 'w.yaml') })).toEqual({ source: join(dir, 'w.yaml') });
  });
});

describe('secrets by variable name', () => {
  it('reads the variable and never quotes its value', () => {
    const problems = new ConfigProblems();
    expect(secretFromEnv('GIT_TOKEN', 'x.token', { GIT_TOKEN: 's3cret' }, problems)).toBe('s3cret');
    expect(secretFromEnv('MISSING', 'x.token', {}, problems)).toBeUndefined();
    expect(secretFromEnv('ghp_abc def', 'x.token', {}, problems)).toBeUndefined();
    expect(problems.list).toEqual([
      "x.token: names MISSING, which is not set in the worker's environment",
      'x.token: must name an environment variable (letters, digits and _), not hold the secret itself',
    ]);
    expect(problems.list.join('\n')).not.toContain('ghp_abc');
  });
});
