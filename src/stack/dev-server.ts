// Runs `temporal server start-dev` as a child process: SQLite persistence, Web UI, and the search attributes
// the promotion workflow upserts registered up front (the dev server accepts them at start-up).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { requirePortFree } from './ports.js';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort?: number;
  /** SQLite file; without it everything lives in memory. */
  dbFilename?: string;
  namespace?: string;
  ip?: string;
  headless?: boolean;
  log?: (line: string) => void;
  /** Where the server's own output goes; default: discarded. */
  output?: 'inherit' | 'ignore';
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const SEARCH_ATTRIBUTE_FLAGS = Object.values(SEARCH_ATTRIBUTES).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);

/**
 * Eager activity dispatch: a worker completing a workflow task gets the activities it just scheduled in the same
 * reply, instead of through the task queue. On this dev server that halves the latency each activity adds (a
 * no-op activity's round trip, measured in bench/). Off by default in the Temporal server; on a self-hosted
 * cluster set the same dynamic config key.
 */
export const DYNAMIC_CONFIG_FLAGS = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  await requirePortFree(options.port, 'the Temporal server', '--temporal-port or TEMPORAL_PORT', ip);
  if (!options.headless && options.uiPort) {
    await requirePortFree(options.uiPort, 'the Temporal Web UI', '--ui-port or TEMPORAL_UI_PORT', ip);
  }
  if (options.dbFilename) await mkdir(dirname(options.dbFilename), { recursive: true });

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(options.port), '--namespace', namespace, '--log-level', 'warn'];
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  if (options.headless) args.push('--headless');
  else if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  args.push(...SEARCH_ATTRIBUTE_FLAGS);
  args.push(...DYNAMIC_CONFIG_FLAGS);

  // detached: its own process group, so stop() can take down anything it spawned and Ctrl-C is handled by us.
  const child = spawn(options.cliPath, args, { stdio: ['ignore', options.output ?? 'ignore', options.output ?? 'ignore'], detached: true });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const address = `${ip}:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`temporal server start-dev exited with code ${exited} before it was ready (args: ${args.join(' ')})`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        break;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server at ${address} did not become ready: ${(err as Error).message}`);
      }
      await sleep(200);
    }
  }

  return {
    address,
    namespace,
    uiUrl: options.headless || !options.uiPort ? undefined : `http://${ip}:${options.uiPort}`,
    process: child,
    stop: () => stopProcessGroup(child),
  };
}

export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
