import { WorkflowUpdateFailedError } from '@temporalio/client';
import { connectClient, temporalSettingsFromEnv } from '../connection.js';
import { decideUpdate } from '../workflows/messages.js';
import { parseFlags, UsageError } from './args.js';

/** Approve or reject through the update, so the approver hears at once whether the decision counted. */
export async function decideCommand(decision: 'approve' | 'reject', argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, { by: { type: 'string' }, comment: { type: 'string' } });
  const [workflowId] = positional;
  if (!workflowId || positional.length > 1) throw new UsageError(`usage: promenade ${decision} <promotion-id> --by <name> [--comment <text>]`);
  if (!flags.by) throw new UsageError('--by is required: the name of the person deciding');
  const client = await connectClient(temporalSettingsFromEnv());
  try {
    const outcome = await client.workflow
      .getHandle(workflowId)
      .executeUpdate(decideUpdate, { args: [{ decision, approver: flags.by, ...(flags.comment ? { comment: flags.comment } : {}) }] })
      .catch((err) => {
        // The validator's reason travels as the cause; the outer message only says the update failed.
        if (err instanceof WorkflowUpdateFailedError && err.cause) throw new Error(`${decision} refused: ${err.cause.message}`);
        throw err;
      });
    console.log(`${decision === 'approve' ? 'approved' : 'rejected'} ${workflowId} as ${flags.by} (${outcome.approvals}/${outcome.required} approvals)`);
    return 0;
  } finally {
    await client.connection.close();
  }
}
