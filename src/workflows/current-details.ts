// What the Web UI shows an approver without opening a query: the promotion's current details, a small markdown
// table of the stages and a line on what it waits for. Pure, so it is rendered the same on every replay.
import type { PromotionStatus } from './promotion-status.js';

export function currentDetails(status: PromotionStatus): string {
  const gate = status.gates?.find((g) => g.state === 'open');
  const waiting =
    status.state === 'awaiting-approval'
      ? `**Waiting for approval** at ${gate?.gate ?? status.currentStage ?? 'the gate'}: ${gate ? `${gate.approvals.length} of ${gate.required}` : `${status.approvals.length}`} approval(s)` +
        `${gate && gate.approvers.length > 0 ? ` from ${gate.approvers.join(', ')}` : ''}${gate?.identity === 'verified' ? ' (signed or with an ID token: paste what `promenade approve --print` prints into signal `approve`)' : ' (signal `approve` with {"approver": "<name>"})'}`
      : `**${status.state}**${status.currentStage ? ` in ${status.currentStage}` : ''}`;
  const rows = status.stages.map((s) => `| ${s.stage} | ${s.environment ?? ''} | ${s.status} | ${s.commit ? s.commit.slice(0, 12) : ''} |`);
  return [`${status.app} → ${status.image}`, '', waiting, '', '| stage | environment | status | commit |', '|---|---|---|---|', ...rows].join('\n');
}
