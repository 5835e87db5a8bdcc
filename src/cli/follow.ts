// `promote --wait`: one line per stage transition. On a terminal a spinner with the elapsed time sits below
// the lines; in CI logs (no TTY) only the lines, each stamped with the elapsed time.
import type { WorkflowHandle } from '@temporalio/client';
import type { PromotionStatus } from '../workflows/promotion-status.js';
import { statusQuery } from '../workflows/messages.js';
import { rollbackText } from './status.js';
import { terminalText as t } from './terminal-text.js';

export interface FollowOptions {
  out: NodeJS.WriteStream;
  tty: boolean;
  intervalMs?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Transition lines between two snapshots of the status, in the order things happened. */
export function transitions(workflowId: string, before: PromotionStatus | undefined, now: PromotionStatus): string[] {
  const lines: string[] = [];
  for (const stage of now.stages) {
    const was = before?.stages.find((s) => s.stage === stage.stage);
    if (stage.status === 'pending' || was?.status === stage.status) continue;
    const detail = [stage.commit && `commit ${stage.commit.slice(0, 12)}`, stage.failure, stage.rollback && rollbackText(stage.rollback)].filter(Boolean).join(', ');
    lines.push(t(`${stage.stage} ${stage.status}${detail ? ` (${detail})` : ''}`));
  }
  if (now.state !== before?.state && now.state === 'awaiting-approval') {
    lines.push(`waiting for approval: promenade approve '${t(workflowId)}' --by <name>`);
  }
  if (now.state !== before?.state && now.state === 'rolling-back') lines.push('rolling back');
  return lines;
}

/**
 * Follows until stop() is called. stop(final) prints what the last poll missed between it and the promotion's
 * final status (a run that ends between two polls still shows every stage), then clears the spinner line.
 */
export function followPromotion(handle: WorkflowHandle, options: FollowOptions): { stop(final?: PromotionStatus): Promise<void> } {
  const { out, tty } = options;
  const started = Date.now();
  let last: PromotionStatus | undefined;
  let frame = 0;
  let spinnerShown = false;
  const clearSpinner = () => {
    if (spinnerShown) out.write('\r\x1b[K');
    spinnerShown = false;
  };
  const print = (line: string) => {
    clearSpinner();
    out.write(tty ? `  ${line}  ${elapsed(Date.now() - started)}\n` : `[${elapsed(Date.now() - started).padStart(6)}] ${line}\n`);
  };
  const spin = () => {
    if (!tty) return;
    const what = last ? t(`${last.state}${last.currentStage ? ` · ${last.currentStage}` : ''}`) : 'starting';
    out.write(`\r\x1b[K${SPINNER[frame++ % SPINNER.length]} ${what}  ${elapsed(Date.now() - started)}`);
    spinnerShown = true;
  };
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const now = await handle.query(statusQuery);
      for (const line of transitions(handle.workflowId, last, now)) print(line);
      last = now;
    } catch {
      // Not answered yet (no worker has picked it up): the next tick asks again.
    }
  };
  const pollTimer = setInterval(() => (polling = polling.then(poll)), options.intervalMs ?? 500);
  const spinTimer = tty ? setInterval(spin, 100) : undefined;
  polling = polling.then(poll);
  return {
    async stop(final) {
      clearInterval(pollTimer);
      if (spinTimer) clearInterval(spinTimer);
      await polling;
      if (final) for (const line of transitions(handle.workflowId, last, { ...final, state: last?.state ?? final.state })) print(line);
      clearSpinner();
    },
  };
}
