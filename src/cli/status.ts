// `promenade status <promotion>`: where a promotion is, what it committed, who approved, what it waits for.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Approval, PromotionStatus, StageRecord } from '../workflows/promotion-status.js';
import { identityName, identityTrailer, proofText } from '../identity/verified-identity.js';
import { statusQuery } from '../workflows/messages.js';
import { CONTROL_CHARACTERS } from '../config/text-rules.js';
import { parseCommandLine, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { cliTemporalSettings, withTemporal } from './temporal-session.js';
import { terminalText as t } from './terminal-text.js';
import { webUiBase, workflowLink } from './web-ui.js';

/** A sentence for a person: what has to happen next for this promotion to move. */
export function waitingFor(id: string, status: PromotionStatus): string | undefined {
  const stage = status.stages.find((s) => s.stage === status.currentStage);
  // The lane's wait (e.g. "waiting for promote:myapp:nginx:1.27 to leave prod") says it best.
  if (status.waiting && status.state === 'promoting') return status.waiting.replace(/^waiting for /, '');
  switch (status.state) {
    case 'awaiting-approval':
      return `approval (${status.approvals.length} so far): promenade approve '${id}' --by <name>, or promenade reject`;
    case 'verifying':
      return `${stage?.environment ?? 'the environment'} to stay healthy through the soak period`;
    case 'promoting':
      return stage?.environment ? `Argo CD to sync ${stage.environment} to ${stage.commit ? `commit ${stage.commit.slice(0, 12)}` : 'the new commit'} and report it healthy` : 'the next stage';
    case 'rolling-back':
      return 'the revert to sync and become healthy';
    case 'starting':
      return 'a worker to pick it up (is `promenade worker` running on this task queue?)';
    default:
      return undefined;
  }
}

/** A stage's rollback in words; a revert that failed before it committed has no commit to name. */
export function rollbackText(rollback: NonNullable<StageRecord['rollback']>): string {
  if (!rollback.commit) return `rollback failed before a revert commit${rollback.failure ? `: ${rollback.failure}` : ''}`;
  const done = `rolled back by ${rollback.commit.slice(0, 12)} (${rollback.method})`;
  return rollback.failure ? `${done}, then failed: ${rollback.failure}` : done;
}

/** Every value from the status is escaped (terminal-text.ts): approvers and comments are typed by strangers. */
export function formatStatus(id: string, status: PromotionStatus): string {
  const requester = status.requester ? identityTrailer(status.requester) : status.requestedBy;
  const lines = [`${t(id)}: ${t(status.state)}${status.currentStage ? ` at ${t(status.currentStage)}` : ''}`, `  ${t(status.app)} -> ${t(status.image)}, requested by ${t(requester)}`];
  for (const stage of status.stages) {
    const extra = [stage.commit && `commit ${stage.commit.slice(0, 12)}`, stage.argocdRevision && `synced ${stage.argocdRevision.slice(0, 12)}`, stage.failure, stage.rollback && rollbackText(stage.rollback)]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${t(stage.stage.padEnd(16))} ${t(stage.status)}${extra ? `  ${t(extra)}` : ''}`);
    // Each check's latest measurement; --json has all the kept ones.
    const latest = new Map((stage.checks ?? []).map((m) => [m.check, m]));
    // Measurements quote what endpoints answered: escaped like everything else.
    for (const m of latest.values()) lines.push(`    check ${t(m.check)} (${m.during}): ${m.phase}${m.value !== undefined ? ` ${t(m.value)}` : ''}${m.message ? `: ${t(m.message)}` : ''} at ${m.at}`);
  }
  // A verified decision names its proof (mechanism and key or issuer), as the commit's trailer does; an asserted one
  // only the name it was sent with.
  const decision = (a: Approval) => {
    const notes = [a.proof && proofText(a.proof), a.comment].filter(Boolean).join('; ');
    const who = a.proof ? identityName(a.proof) : a.approver;
    return notes ? `${t(who)} (${t(notes)})` : t(who);
  };
  // Each gate against its own policy: with two gates, "1 approval" alone does not say which gate still waits.
  for (const g of status.gates ?? []) {
    const who = g.approvers.length ? ` from ${g.approvers.map(t).join(', ')}` : ' from anyone';
    lines.push(`  gate ${t(g.gate)} (${t(g.environment)}): ${t(g.state)}, ${g.approvals.length} of ${g.required} approval(s)${who}, identity ${t(g.identity)}`);
  }
  if (status.approvals.length) lines.push(`  approvals: ${status.approvals.map(decision).join(', ')}`);
  if (status.rejections.length) lines.push(`  rejections: ${status.rejections.map(decision).join(', ')}`);
  if (status.refused.length) {
    const count = status.refusedCount ?? status.refused.length;
    const heading = count > status.refused.length ? `refused (${count} in all, the latest ${status.refused.length})` : 'refused';
    lines.push(`  ${heading}: ${status.refused.map((r) => `${t(r.approver)}${r.mechanism ? ` with ${r.mechanism}` : ''} (${t(r.reason)})`).join('; ')}`);
  }
  if (status.failure) lines.push(`  failure: ${t(status.failure)}`);
  const next = waitingFor(id, status);
  if (next) lines.push(`  waiting for: ${t(next)}`);
  return lines.join('\n');
}

export function parsePromotionId(positional: string[], usage: string): string {
  const [id] = positional;
  if (!id || positional.length > 1) throw new UsageError(`usage: ${usage}`);
  if (CONTROL_CHARACTERS.test(id) || id.length > 1000) throw new UsageError(`"${id.slice(0, 40)}..." is not a promotion ID (see promenade list)`);
  return id;
}

/** The query needs a worker; a few seconds is plenty when one is polling, and saying so beats hanging. */
async function queryStatus(client: Client, id: string): Promise<PromotionStatus> {
  const handle = client.workflow.getHandle(id);
  // describe first: it answers "unknown promotion" without waiting on a worker.
  await handle.describe();
  try {
    return await client.withDeadline(Date.now() + 10_000, () => handle.query(statusQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw err;
    throw new Error(`promotion ${id} exists but no worker answered its status query (${(err as Error).message}); is \`promenade worker\` running?`);
  }
}

export async function statusCommand(argv: string[]): Promise<number> {
  const usage = 'promenade status <promotion-id> [--json]';
  const { flags, positionals } = parseCommandLine(argv, { json: { type: 'boolean' } }, usage, 1);
  const id = parsePromotionId(positionals, usage);
  const settings = cliTemporalSettings();
  return withTemporal(
    settings,
    async (client) => {
      const status = await queryStatus(client, id);
      const link = workflowLink(webUiBase(String(settings.connectionOptions.address), settings.namespace), settings.namespace, id);
      if (flags.json) console.log(JSON.stringify({ workflowId: id, ...(link ? { link } : {}), waitingFor: waitingFor(id, status) ?? null, ...status }));
      else console.log(`${formatStatus(id, status)}${link ? `\n  ${link}` : ''}`);
      return EXIT.ok;
    },
    id,
  );
}
