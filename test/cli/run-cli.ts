// Runs the real `promenade` entry point as a child process, the way CI and people run it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/promenade.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; onStdout?: (text: string) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** No stack trace, no multi-line dump: one line saying what is wrong. */
export function expectOneLine(text: string): string {
  const lines = text.trim().split('\n');
  if (lines.length !== 1 || /^\s+at /m.test(text)) throw new Error(`expected one line, got:\n${text}`);
  return lines[0]!;
}

/**
 * The same command in this process, for the many calls of one test where another process start proves nothing
 * new (each costs seconds on a loaded machine). Swaps process.env while it runs: call one at a time.
 */
export async function runInProcess(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const { runCommand } = await import('../../src/cli/commands.js');
  const saved = process.env;
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  process.env = { ...env };
  console.log = (...parts: unknown[]) => void out.push(`${parts.join(' ')}\n`);
  console.error = (...parts: unknown[]) => void err.push(`${parts.join(' ')}\n`);
  try {
    const code = await runCommand(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.env = saved;
    console.log = log;
    console.error = error;
  }
}
