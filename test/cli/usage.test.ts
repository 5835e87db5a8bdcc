// Every command refuses an unknown flag the same way, before it contacts or starts anything: one line on
// stderr naming the flag, exit 2. Needs no Temporal: a command that got past its flags would fail differently.
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { expectOneLine, runCli, runInProcess } from './run-cli.js';

const COMMANDS = ['stack', 'setup', 'worker', 'bundle', 'argocd-sim', 'promote', 'approve', 'reject', 'cancel', 'status', 'list', 'bootstrap'];
// Nothing listens here: a command that reached Temporal or Argo CD would exit 9, not 2.
const ENV = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', ARGOCD_SERVER: 'http://127.0.0.1:1', PROMENADE_STATE_DIR: '/nonexistent/promenade' };

describe('an unknown flag is a usage error, on every command', () => {
  it.each(COMMANDS)('promenade %s --bogus: exit 2 and one line naming --bogus', async (command) => {
    const run = await runInProcess([command, '--bogus'], ENV);
    expect(run.code).toBe(EXIT.usage);
    expect(expectOneLine(run.stderr)).toMatch(new RegExp(`^promenade ${command}: unknown flag --bogus \\(`));
    expect(run.stdout).toBe('');
  });

  it('through the real entry point, the simulator too (it exited 1 before)', async () => {
    const run = await runCli(['argocd-sim', '--bogus'], ENV);
    expect(run.code).toBe(EXIT.usage);
    expect(expectOneLine(run.stderr)).toMatch(/^promenade argocd-sim: unknown flag --bogus \(known: --port, /);
  });

  it('--help prints the command line on stdout and exits 0', async () => {
    const run = await runInProcess(['status', '--help'], ENV);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout.trim()).toBe('usage: promenade status <promotion-id> [--json]');
  });
});
