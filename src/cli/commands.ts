// The command table and the one place an error becomes a line on stderr and an exit code. main.ts runs it;
// tests call runCommand in-process where spawning a process would prove nothing more.
import { HelpRequested, parseCommandLine, UsageError } from './args.js';
import { CliError, EXIT } from './exit-codes.js';

const commands: Record<string, { summary: string; run: (argv: string[]) => Promise<number | void> }> = {
  stack: { summary: 'run the whole local stack (Temporal dev server + UI, GitOps repo, Argo CD simulator, worker) and a demo promotion', run: async (argv) => (await import('./stack.js')).stackCommand(argv) },
  setup: { summary: 'find or build the Temporal CLI (cached outside the checkout) and print its path', run: async (argv) => {
    parseCommandLine(argv, {}, 'promenade setup');
    const { resolveTemporalCli } = await import('../stack/temporal-cli.js');
    console.log(await resolveTemporalCli({ log: (line) => console.error(line) }));
  } },
  worker: { summary: 'run a promotion worker (Temporal settings from TEMPORAL_* env, Argo CD from ARGOCD_*)', run: async (argv) => {
    parseCommandLine(argv, {}, 'promenade worker');
    await (await import('../worker.js')).runWorker();
  } },
  bundle: { summary: 'write the workflow bundle: --out <file> (a worker with PROMENADE_WORKFLOW_BUNDLE=<file> starts without bundling)', run: async (argv) => {
    const { out } = parseCommandLine(argv, { out: { type: 'string' } }, 'promenade bundle --out <file>').flags;
    if (!out) throw new UsageError('--out <file> is required: where to write the bundle');
    await (await import('../worker.js')).writeWorkflowBundle(out);
  } },
  'argocd-sim': { summary: 'run the Argo CD API simulator: --port <p> [--state-dir <dir>] (--help for all flags)', run: async (argv) => (await import('./argocd-sim.js')).argocdSimCommand(argv) },
  promote: { summary: 'start a promotion: --app <app> --image <ref> [--requested-by <who>] [--meta k=v] [--wait] [--json]', run: async (argv) => (await import('./promote.js')).promoteCommand(argv) },
  approve: { summary: 'approve a promotion: <promotion-id> --by <name> [--comment <text>]', run: async (argv) => (await import('./decide.js')).decideCommand('approve', argv) },
  reject: { summary: 'reject a promotion: <promotion-id> --by <name> [--comment <text>]', run: async (argv) => (await import('./decide.js')).decideCommand('reject', argv) },
  cancel: { summary: 'cancel a promotion (it rolls back what it changed; never terminate one): <promotion-id> [--wait]', run: async (argv) => (await import('./cancel.js')).cancelCommand(argv) },
  status: { summary: 'show a promotion: <promotion-id> [--json]', run: async (argv) => (await import('./status.js')).statusCommand(argv) },
  list: { summary: 'list promotions: [--app <app>] [--state awaiting-approval] [--limit <n>] [--json]', run: async (argv) => (await import('./list.js')).listCommand(argv) },
  bootstrap: { summary: 'lay out a GitOps repository and its Argo CD Applications: --repo <url> --app <app> [--argocd-server <url>]', run: async (argv) => (await import('./bootstrap.js')).bootstrapCommand(argv) },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return ['usage: promenade <command> [flags]', '', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join('\n');
}

export async function runCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands[name];
  if (!command) {
    console.error(`promenade: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return (await command.run(rest)) ?? EXIT.ok;
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(err.usage);
      return EXIT.ok;
    }
    if (err instanceof CliError) {
      console.error(`promenade ${name}: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      console.error(`promenade ${name}: ${err.message}`);
      return EXIT.usage;
    }
    console.error(`promenade ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}
