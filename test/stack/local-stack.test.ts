// `npm start` for real: the whole stack on free ports in a temporary state directory, its demo promotion
// reaching the approval gate, a clean stop with no process left behind, and a restart that finds the
// promotion still waiting.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/stack/ports.js';
import { promotionWorkflowId } from '../../src/workflows/workflow-ids.js';
import { statusQuery } from '../../src/workflows/messages.js';

const BIN = fileURLToPath(new URL('../../bin/promenade.js', import.meta.url));
const DEMO_ID = promotionWorkflowId('myapp', 'nginx:1.25');

function start(stateDir: string, ports: { temporal: number; ui: number; argocd: number }): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [BIN, 'stack', '--state-dir', stateDir, '--temporal-port', String(ports.temporal), '--ui-port', String(ports.ui), '--argocd-port', String(ports.argocd)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function processesUnder(stateDir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(stateDir) && !line.includes(' ps '));
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('npm start (promenade stack)', () => {
  it('brings up the stack with its UI and a demo promotion, stops cleanly, and resumes state on restart', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'promenade-stack-'));
    dirs.push(stateDir);
    const ports = { temporal: await freePort(), ui: await freePort(), argocd: await freePort() };
    const first = start(stateDir, ports);
    await until('the stack to be up', async () => (first.output().includes('promenade local stack is up') ? true : undefined), 150_000).catch((err) => {
      throw new Error(`${err.message}; it printed:\n${first.output()}`);
    });
    expect(first.output()).toContain(`Temporal Web UI   http://127.0.0.1:${ports.ui}`);
    expect(first.output()).toContain('Demo promotion started: myapp -> nginx:1.25');

    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    expect(ui.status).toBe(200);
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const client = new Client({ connection });
    try {
      const status = await until(
        'the demo promotion to await approval',
        async () => {
          const s = await client.workflow.getHandle(DEMO_ID).query(statusQuery);
          return s.state === 'awaiting-approval' ? s : undefined;
        },
        120_000,
      );
      expect(status.stages.filter((s) => s.status === 'succeeded').map((s) => s.stage)).toEqual(['dev-sync', 'staging-promote']);
      // The worker bundled its workflow code in a child process and removed the bundle once loaded.
      expect(await readdir(join(stateDir, 'cache', 'bundles'))).toEqual([]);
    } finally {
      await connection.close();
    }

    first.child.kill('SIGINT');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(processesUnder(stateDir)).toEqual([]);

    const second = start(stateDir, ports);
    try {
      await until('the restarted stack', async () => (second.output().includes('promenade local stack is up') ? true : undefined), 150_000);
      expect(second.output()).toContain(`Demo promotion ${DEMO_ID} exists already (RUNNING)`);
      const again = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      try {
        const s = await new Client({ connection: again }).workflow.getHandle(DEMO_ID).query(statusQuery);
        expect(s.state).toBe('awaiting-approval');
      } finally {
        await again.close();
      }
    } finally {
      second.child.kill('SIGINT');
      await new Promise((resolve) => second.child.once('exit', resolve));
    }
    expect(processesUnder(stateDir)).toEqual([]);
  }, 420_000);

  it('names a taken port and the flag that moves it, without a stack trace', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'promenade-stack-'));
    dirs.push(stateDir);
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const run = start(stateDir, { temporal: await freePort(), ui: taken, argocd: await freePort() });
      const code = await new Promise((resolve) => run.child.once('exit', resolve));
      expect(code).toBe(1);
      expect(run.output().trim()).toBe(`promenade stack: Port ${taken} for the Temporal Web UI is already in use. Stop whatever listens there, or choose another port with --ui-port or TEMPORAL_UI_PORT.`);
    } finally {
      blocker.close();
    }
  });
});
