// Runs the git binary. Output that reaches an error message is redacted first: git quotes remote URLs in its
// errors, and a URL is where credentials would show up if they ever slipped in.
import { spawn } from 'node:child_process';
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
  input?: string;
  timeoutMs?: number;
  /** Values to blank out of error output besides URL credentials (the worker's git password, say). */
  secrets?: string[];
}

export function runGit(args: string[], run: GitRun): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: run.cwd, env: run.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs ?? 120_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new GitCommandError(args, null, redact(error.message, run.secrets)));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else {
        const [err, out] = [stderr, stdout].map((chunks) => redact(Buffer.concat(chunks).toString('utf8'), run.secrets));
        reject(new GitCommandError(args, code, err!, out!));
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(run.input ?? '');
  });
}

export function redact(text: string, secrets: string[] = []): string {
  let result = redactUrlCredentials(text);
  for (const secret of secrets) if (secret.length >= 3) result = result.split(secret).join('***');
  return result;
}
