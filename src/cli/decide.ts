// `promenade approve|reject`: through the `decide` update rather than the signal, so the approver hears at
// once whether the decision counted (the workflow's validator refuses before anything reaches history).
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { decideUpdate } from '../workflows/messages.js';
import { parseCommandLine, UsageError } from './args.js';
import { CliError, EXIT } from './exit-codes.js';
import { parsePromotionId } from './status.js';
import { terminalText } from './terminal-text.js';
import { cliTemporalSettings, withTemporal } from './temporal-session.js';

export async function decideCommand(decision: 'approve' | 'reject', argv: string[]): Promise<number> {
  const usage = `promenade ${decision} <promotion-id> --by <name> [--comment <text>]`;
  const { flags, positionals } = parseCommandLine(argv, { by: { type: 'string' }, comment: { type: 'string' } }, usage, 1);
  const id = parsePromotionId(positionals, usage);
  const by = flags.by?.trim();
  if (!by) throw new UsageError('--by is required: the name of the person deciding (as listed among the approvers in promenade.yaml)');
  const settings = cliTemporalSettings();
  return withTemporal(
    settings,
    async (client) => {
      const handle = client.workflow.getHandle(id);
      // An update on an unknown or finished promotion fails obscurely; describe says which it is.
      const described = await handle.describe();
      if (described.status.name !== 'RUNNING') throw new CliError(`${decision} refused: promotion ${id} has ended (${described.status.name.toLowerCase()})`, EXIT.refused);
      const outcome = await handle
        .executeUpdate(decideUpdate, { args: [{ decision, approver: by, ...(flags.comment ? { comment: flags.comment } : {}) }] })
        .catch((err) => {
          // The validator's reason travels as the cause; the outer message only says the update failed.
          if (err instanceof WorkflowUpdateFailedError) throw new CliError(`${decision} refused: ${terminalText(err.cause?.message ?? err.message)}`, EXIT.refused);
          throw err;
        });
      console.log(`${decision === 'approve' ? 'approved' : 'rejected'} ${id} as ${by} (${outcome.approvals}/${outcome.required} approvals)`);
      return EXIT.ok;
    },
    id,
  );
}
