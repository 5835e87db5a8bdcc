// `promenade cancel <promotion-id>`: asks a promotion to stop. Cancelling (never terminating) lets it roll back
// what it changed, release its app's lane and record why; with --wait it follows it to the end and exits with
// the outcome's code (13 when nothing was half-done, else the rollback's 6 or 7).
import { parseCommandLine } from './args.js';
import { CliError, EXIT } from './exit-codes.js';
import { awaitOutcome, exitCodeFor } from './outcome.js';
import { parsePromotionId } from './status.js';
import { cliTemporalSettings, withTemporal } from './temporal-session.js';
import { terminalText } from './terminal-text.js';

const PROMOTION_WORKFLOW_TYPE = 'promotion';

export async function cancelCommand(argv: string[]): Promise<number> {
  const usage = 'promenade cancel <promotion-id> [--wait]';
  const { flags, positionals } = parseCommandLine(argv, { wait: { type: 'boolean' } }, usage, 1);
  const id = parsePromotionId(positionals, usage);
  const settings = cliTemporalSettings();
  return withTemporal(
    settings,
    async (client) => {
      const handle = client.workflow.getHandle(id);
      const described = await handle.describe();
      // An app's lane is not a promotion: cancelling it would strand every promotion waiting on it.
      if (described.type !== PROMOTION_WORKFLOW_TYPE) throw new CliError(`${id} is not a promotion (it is a ${terminalText(described.type)} workflow); \`promenade list\` shows promotions`, EXIT.notFound);
      if (described.status.name !== 'RUNNING') throw new CliError(`cancel refused: promotion ${id} has ended (${described.status.name.toLowerCase()})`, EXIT.refused);
      await handle.cancel();
      console.log(`cancel requested for ${id}: it rolls back an environment it has not finished, then ends`);
      if (!flags.wait) return EXIT.ok;
      const outcome = await awaitOutcome(client.workflow.getHandle(id, described.runId));
      const line = `promotion ${id}: ${outcome.state}${outcome.failure ? `: ${terminalText(outcome.failure)}` : ''}`;
      (outcome.state === 'cancelled' ? console.log : console.error)(line);
      return exitCodeFor(outcome.state);
    },
    id,
  );
}
