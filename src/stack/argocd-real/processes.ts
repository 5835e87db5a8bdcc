// The processes of one real Argo CD stack: each in its own process group (so whatever it forks goes down with
// it), its output in <dir>/logs/<name>.log, and all of them killed when stop() runs, when start-up fails, when
// this Node process exits, and on Ctrl-C: the groups are not in the terminal's foreground group, so the
// terminal's SIGINT never reaches them; we kill them, and if nobody else handles the signal, die of it as
// Node would have.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StackProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  log: string;
  /** Exit code or signal once it exited, undefined while running. */
  exited?: string;
}

export class ProcessSet {
  readonly processes: StackProcess[] = [];
  private readonly killOnExit = () => this.killNow();
  private readonly killOnSignal = (signal: NodeJS.Signals) => {
    this.killNow();
    if (process.listenerCount(signal) === 1) {
      this.detach();
      process.kill(process.pid, signal);
    }
  };
  private stopping = false;

  constructor(private readonly logDir: string) {
    process.on('exit', this.killOnExit);
    for (const signal of SIGNALS) process.on(signal, this.killOnSignal);
  }

  private detach(): void {
    process.off('exit', this.killOnExit);
    for (const signal of SIGNALS) process.off(signal, this.killOnSignal);
  }

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): StackProcess {
    const log = join(this.logDir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(command, args, { env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const entry: StackProcess = { name, pid: child.pid, child, log };
    child.on('exit', (code, signal) => (entry.exited = signal ?? String(code)));
    child.on('error', (err) => (entry.exited = err.message));
    this.processes.push(entry);
    return entry;
  }

  /** Fails with the tail of its log if the process has exited (it should be running). */
  assertRunning(entry: StackProcess): void {
    if (entry.exited === undefined || this.stopping) return;
    throw new Error(`${entry.name} exited (${entry.exited}) during start-up; the end of ${entry.log}:\n${tail(entry.log)}`);
  }

  /** SIGTERM every group, SIGKILL what is left after the grace period, wait until all have exited. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    const running = this.processes.filter((p) => p.exited === undefined);
    const exited = running.map((p) => new Promise<void>((resolve) => (p.exited !== undefined ? resolve() : p.child.once('exit', () => resolve()))));
    for (const p of running.reverse()) signalGroup(p.pid, 'SIGTERM');
    const all = Promise.all(exited);
    const done = await Promise.race([all.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      for (const p of this.processes) signalGroup(p.pid, 'SIGKILL');
      await all;
    }
    // A group can outlive its leader (a forked helper): kill the groups once more, quietly.
    for (const p of this.processes) signalGroup(p.pid, 'SIGKILL');
    this.detach();
  }

  private killNow(): void {
    for (const p of this.processes) signalGroup(p.pid, 'SIGKILL');
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone */
  }
}

export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
