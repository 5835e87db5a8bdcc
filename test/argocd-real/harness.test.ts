// The harness leaves nothing behind: after stop(), and after Ctrl-C (SIGINT) of the process that started it,
// no process of any group it started is alive.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startArgoCDReal } from '../../src/stack/argocd-real/harness.js';

const HOLD = fileURLToPath(new URL('./fixtures/hold-stack.ts', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Live processes whose process group is one of `groups` (zombies count as gone). */
async function survivors(groups: number[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state && state !== 'Z' && groups.includes(Number(pgrp))) found.push(`${entry} ${stat.slice(0, stat.lastIndexOf(')') + 1)}`);
  }
  return found;
}

async function waitNoSurvivors(groups: number[]): Promise<string[]> {
  let left = await survivors(groups);
  for (let i = 0; i < 100 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = await survivors(groups);
  }
  return left;
}

describe('the real Argo CD harness', () => {
  it('stop() ends every process group it started', async () => {
    const stack = await startArgoCDReal();
    const groups = stack.processes.map((p) => p.pid);
    expect(stack.processes.map((p) => p.name)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
      'redis',
      'argocd-repo-server',
      'argocd-application-controller',
      'argocd-server',
    ]);
    expect(await survivors(groups)).toHaveLength(groups.length);
    await stack.stop();
    expect(await survivors(groups)).toEqual([]);
  });

  it('Ctrl-C of the process that started it leaves no process behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promenade-hold-'));
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', HOLD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const ready = await new Promise<{ pids: number[] }>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      child.once('exit', (code) => reject(new Error(`hold-stack exited ${code} before ready: ${err}`)));
    });
    expect(ready.pids).toHaveLength(9);
    expect(await survivors(ready.pids)).toHaveLength(9);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(await waitNoSurvivors(ready.pids)).toEqual([]);
  });
});
