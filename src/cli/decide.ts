// `promenade approve|reject`: through the `decide` update rather than the signal, so the approver hears at
// once whether the decision counted (the workflow's validator refuses before anything reaches history).
// With --key/--agent the decision is signed, with --id-token-file (or PROMENADE_ID_TOKEN) it carries an ID token;
// --print prints the message instead of sending it, for the Web UI's signal form or `temporal workflow signal`.
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { decideUpdate, statusQuery, type DecisionRequest } from '../workflows/messages.js';
import type { ApprovalDecision } from '../workflows/promotion-status.js';
import { parseCommandLine, UsageError } from './args.js';
import { CREDENTIAL_FLAGS, credentialKind, decisionCredential } from './decision-credential.js';
import { CliError, EXIT } from './exit-codes.js';
import { parsePromotionId } from './status.js';
import { terminalText } from './terminal-text.js';
import { cliTemporalSettings, isTransientTemporalError, withTemporal } from './temporal-session.js';

export async function decideCommand(decision: 'approve' | 'reject', argv: string[]): Promise<number> {
  const usage = `promenade ${decision} <promotion-id> [--by <name>] [--comment <text>] [--key <file> | --agent | --id-token-file <file>] [--print]`;
  const { flags, positionals } = parseCommandLine(
    argv,
    { by: { type: 'string' }, comment: { type: 'string' }, print: { type: 'boolean' }, ...CREDENTIAL_FLAGS },
    usage,
    1,
  );
  const id = parsePromotionId(positionals, usage);
  const kind = credentialKind(flags, process.env);
  // With a credential, who decides is what it proves; the name is only a label for people reading the history.
  const by = flags.by?.trim() || (kind ? userInfo().username : undefined);
  if (!by) throw new UsageError('--by is required: the name of the person deciding (as listed among the approvers in promenade.yaml), or sign with --key/--agent, or send --id-token-file');
  const settings = cliTemporalSettings();
  return withTemporal(
    settings,
    async (client) => {
      const handle = client.workflow.getHandle(id);
      // An update on an unknown or finished promotion fails obscurely; describe says which it is.
      const described = await handle.describe();
      if (described.status.name !== 'RUNNING') throw new CliError(`${decision} refused: promotion ${id} has ended (${described.status.name.toLowerCase()})`, EXIT.refused);
      let message: ApprovalDecision = { approver: by, ...(flags.comment ? { comment: flags.comment } : {}) };
      if (kind) {
        // The signature binds the open gate by name; the message names it too, so it cannot count at another gate.
        const status = await handle.query(statusQuery);
        const gate = status.gates?.find((g) => g.state === 'open')?.gate;
        if (status.state !== 'awaiting-approval' || !gate) throw new CliError(`${decision} refused: promotion ${id} is ${status.state}, with no gate open`, EXIT.refused);
        const statement = { promotionId: id, runId: described.runId, gate, image: status.image, decision, comment: flags.comment ?? '' };
        const credential = await decisionCredential(flags, statement);
        message = { ...message, gate, ...(credential ? { credential } : {}) };
      }
      if (flags.print) {
        console.log(JSON.stringify(message));
        console.error(
          `signal "${decision}" for ${id} (run ${described.runId}): paste the line above into the Web UI's signal form (encoding json/plain), or\n` +
            `  temporal workflow signal --workflow-id '${id}' --name ${decision} --input '<the line above>'`,
        );
        return EXIT.ok;
      }
      const request: DecisionRequest = { decision, ...message };
      // A new update ID each attempt: an aborted update stays aborted under its ID. A decision that did land
      // cannot count twice: a gate counts each person once.
      const send = () => handle.executeUpdate(decideUpdate, { args: [request], updateId: randomUUID() });
      const outcome = await retryTransient(send).catch((err) => {
        // The validator's reason travels as the cause; the outer message only says the update failed.
        if (err instanceof WorkflowUpdateFailedError) throw new CliError(`${decision} refused: ${terminalText(err.cause?.message ?? err.message)}`, EXIT.refused);
        throw err;
      });
      const as = kind ? `with ${kind === 'ssh' ? 'an SSH signature' : 'an ID token'}` : `as ${by}`;
      console.log(`${decision === 'approve' ? 'approved' : 'rejected'} ${id} ${as} (${outcome.approvals}/${outcome.required} approvals)`);
      return EXIT.ok;
    },
    id,
  );
}

/** A few tries over about 15 s while the server sheds or aborts the request; anything else at once. */
async function retryTransient<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= tries || !isTransientTemporalError(err)) throw err;
      const said = (err as { cause?: { details?: unknown } }).cause?.details;
      console.error(`the server did not take the decision (${terminalText(String(said ?? (err as Error).message))}); sending it again`);
      await sleep(500 * 2 ** n);
    }
  }
}
