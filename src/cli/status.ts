import { connectClient, temporalSettingsFromEnv } from '../connection.js';
import type { PromotionStatus } from '../promotion.js';
import { statusQuery } from '../workflows/messages.js';
import { parseFlags, UsageError } from './args.js';

export function formatStatus(id: string, status: PromotionStatus): string {
  const lines = [`${id}: ${status.state}${status.currentStage ? ` at ${status.currentStage}` : ''}`, `  ${status.app} -> ${status.image}, requested by ${status.requestedBy}`];
  for (const stage of status.stages) {
    const extra = [stage.commit && `commit ${stage.commit.slice(0, 12)}`, stage.argocdRevision && `synced ${stage.argocdRevision.slice(0, 12)}`, stage.failure, stage.rollback && `rolled back by ${stage.rollback.commit.slice(0, 12)} (${stage.rollback.method})`]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${stage.stage.padEnd(16)} ${stage.status}${extra ? `  ${extra}` : ''}`);
  }
  if (status.approvals.length) lines.push(`  approvals: ${status.approvals.map((a) => a.approver).join(', ')}`);
  if (status.refused.length) lines.push(`  refused: ${status.refused.map((r) => `${r.approver} (${r.reason})`).join('; ')}`);
  return lines.join('\n');
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, { json: { type: 'boolean' } });
  const [workflowId] = positional;
  if (!workflowId || positional.length > 1) throw new UsageError('usage: promenade status <promotion-id> [--json]');
  const client = await connectClient(temporalSettingsFromEnv());
  try {
    const status = await client.workflow.getHandle(workflowId).query(statusQuery);
    console.log(flags.json ? JSON.stringify(status, null, 2) : formatStatus(workflowId, status));
    return 0;
  } finally {
    await client.connection.close();
  }
}
