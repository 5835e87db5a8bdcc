// Exit codes are an interface CI scripts branch on: distinct per outcome, and documented as implemented.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { exitCodeFor } from '../../src/cli/outcome.js';

describe('exit codes', () => {
  it('each promotion outcome has its own code', () => {
    const outcomes = ['promoted', 'rejected', 'expired', 'superseded', 'rolled-back', 'rollback-failed', 'failed', 'cancelled', 'terminated'] as const;
    const codes = outcomes.map(exitCodeFor);
    // A terminated promotion ran no rollback: like a failed rollback, a human has to look.
    expect(codes).toEqual([0, 3, 4, 5, 6, 7, 1, 13, 7]);
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
  });

  it('the README table lists every code', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('## For CI'), readme.indexOf('## Bootstrap'));
    const documented = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });
});
