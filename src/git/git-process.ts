// Runs the git binary through simple-git. Output that reaches an error message is redacted first: git quotes remote
// URLs in its errors, and a URL is where credentials would show up if they ever slipped in. A run stops its git
// process when its AbortSignal fires (a cancelled activity) or when git says nothing for the timeout.
import { simpleGit, type SimpleGitOptions } from 'simple-git';
import { redactUrlCredentials } from '../config/repository-url.js';

export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    /** git's stderr, redacted. */
    readonly stderr: string,
    /** git's stdout, redacted: where `push --porcelain` reports each ref's fate. */
    readonly stdout: string = '',
  ) {
    const command = args.find((arg, i) => !arg.startsWith('-') && args[i - 1] !== '-c') ?? 'command';
    super(`git ${command} failed (exit ${exitCode ?? 'killed'}): ${stderr.trim().split('\n').slice(-4).join(' | ') || 'no output'}`);
    this.name = 'GitCommandError';
  }
}

export interface GitRun {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Stops the git process when it fires. */
  signal?: AbortSignal;
  /** Kills git after this long without output; default 120 s. */
  timeoutMs?: number;
  /** Values to blank out of error output besides URL credentials (a repository's token, say). */
  secrets?: string[];
}

/**
 * What promenade itself sets in git's environment, knowingly: the worker's own config isolation, the per-URL
 * credential helper and an ssh command with a pinned deploy key (./access.ts). simple-git refuses these unless
 * allowed, since they run programs; nothing a caller sends reaches them.
 */
const ALLOWED: NonNullable<SimpleGitOptions['unsafe']> = {
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeSshCommand: true,
  // An operator's own askpass, for `promenade bootstrap` run from their shell; the worker's git never has one.
  allowUnsafeAskPass: true,
};

/** Interactive programs git never needs here; simple-git refuses them, and a developer's shell often sets them. */
const INTERACTIVE = ['PAGER', 'GIT_PAGER', 'EDITOR', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR'];

export async function runGit(args: string[], run: GitRun): Promise<string> {
  // simple-git wraps whatever the error handler returns; the original, with both streams, is kept here.
  let failure: GitCommandError | undefined;
  const git = simpleGit({
    baseDir: run.cwd,
    trimmed: false,
    maxConcurrentProcesses: 1,
    unsafe: ALLOWED,
    timeout: { block: run.timeoutMs ?? 120_000 },
    ...(run.signal ? { abort: run.signal } : {}),
    // Every non-zero exit is an error, with both streams kept: simple-git's default ignores a failure that wrote
    // nothing to stderr (`merge-base --is-ancestor` answering no) and merges stdout into the message.
    errors(error, result) {
      if (result.exitCode === 0 && !error) return undefined;
      const [out, err] = [result.stdOut, result.stdErr].map((chunks) => redact(Buffer.concat(chunks).toString('utf8'), run.secrets));
      const said = error ? redact(Buffer.isBuffer(error) ? error.toString('utf8') : error.message, run.secrets) : '';
      // No exit code: the process was killed (abort, timeout) or never ran.
      failure = result.exitCode ? new GitCommandError(args, result.exitCode, err || said, out) : new GitCommandError(args, null, said || err, out);
      return failure;
    },
  }).env(Object.fromEntries(Object.entries(run.env).filter(([name]) => !INTERACTIVE.includes(name))));
  try {
    return await git.raw(args);
  } catch (error) {
    if (failure) throw failure;
    // simple-git's own refusals and kills (abort, timeout): no git output to keep.
    throw new GitCommandError(args, null, redact(error instanceof Error ? error.message : String(error), run.secrets));
  }
}

export function redact(text: string, secrets: string[] = []): string {
  let result = redactUrlCredentials(text);
  for (const secret of secrets) if (secret.length >= 3) result = result.split(secret).join('***');
  return result;
}
