// A cancelled activity stops its git process: runGit hands its AbortSignal to simple-git, which kills git.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitCommandError, runGit } from '../../src/git/git-process.js';

const running = (marker: string) => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(marker) && !line.includes('ps -eo'));

describe('runGit', () => {
  it('kills git when its signal aborts', async () => {
    // `cat-file --batch` waits on its input for ever: only the abort can end it (the timeout is 120 s).
    const marker = `promenade.test=${randomUUID()}`;
    const repo = mkdtempSync(join(tmpdir(), 'promenade-abort-'));
    execFileSync('git', ['init', '--quiet', repo]);
    const controller = new AbortController();
    const run = runGit(['-c', marker, 'cat-file', '--batch'], { cwd: repo, env: { PATH: process.env.PATH }, signal: controller.signal });
    run.catch(() => {});
    for (let i = 0; i < 100 && running(marker).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(running(marker)).toHaveLength(1);
    controller.abort();
    const error = await run.then(
      () => undefined,
      (e: unknown) => e as GitCommandError,
    );
    expect(error).toBeInstanceOf(GitCommandError);
    expect(error!.exitCode).toBeNull();
    expect(error!.message).toMatch(/abort/i);
    for (let i = 0; i < 100 && running(marker).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(running(marker)).toEqual([]);
    rmSync(repo, { recursive: true, force: true });
  });

  it('reports a failure that wrote nothing to stderr, with its exit code', async () => {
    const error = await runGit(['diff', '--no-index', '--quiet', '/dev/null', import.meta.filename], { cwd: tmpdir(), env: { PATH: process.env.PATH } }).then(
      () => undefined,
      (e: unknown) => e as GitCommandError,
    );
    expect(error).toBeInstanceOf(GitCommandError);
    expect(error!.exitCode).toBe(1);
  });
});
