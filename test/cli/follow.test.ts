// The --wait display without a server: a handle whose status moves through a promotion's life.
import { describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { followPromotion, transitions } from '../../src/cli/follow.js';
import type { PromotionStatus, StageRecord } from '../../src/workflows/promotion-status.js';

const status = (state: PromotionStatus['state'], stages: Array<[string, StageRecord['status']]>, currentStage?: string): PromotionStatus => ({
  app: 'myapp',
  image: 'nginx:1.27',
  requestedBy: 'ci',
  state,
  currentStage,
  stages: stages.map(([stage, s]) => ({ stage, status: s, environment: stage.split('-')[0] })),
  approvals: [],
  rejections: [],
  refused: [],
});

const LIFE = [
  status('promoting', [['dev-sync', 'running'], ['approval', 'pending']], 'dev-sync'),
  status('awaiting-approval', [['dev-sync', 'succeeded'], ['approval', 'running']], 'approval'),
  status('promoted', [['dev-sync', 'succeeded'], ['approval', 'succeeded']]),
];

function fakeHandle(): WorkflowHandle {
  let i = 0;
  return { workflowId: 'promote:myapp:nginx:1.27', query: async () => LIFE[Math.min(i++, LIFE.length - 1)] } as unknown as WorkflowHandle;
}

function sink(tty: boolean) {
  let text = '';
  return { out: { write: (chunk: string) => ((text += chunk), true), isTTY: tty } as unknown as NodeJS.WriteStream, text: () => text };
}

describe('promote --wait display', () => {
  it('one line per transition, the approval hint once', () => {
    expect(transitions('W', LIFE[0], LIFE[1])).toEqual(['dev-sync succeeded', 'approval running', "waiting for approval: promenade approve 'W' --by <name>"]);
    expect(transitions('W', LIFE[1], LIFE[1])).toEqual([]);
  });

  it('plain lines with the elapsed time when stdout is not a terminal', async () => {
    const s = sink(false);
    const follower = followPromotion(fakeHandle(), { out: s.out, tty: false, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 200));
    await follower.stop();
    expect(s.text()).not.toMatch(/\r|\x1b/);
    expect(s.text().trim().split('\n').map((l) => l.replace(/^\[ +\d+s\] /, ''))).toEqual([
      'dev-sync running',
      'dev-sync succeeded',
      'approval running',
      "waiting for approval: promenade approve 'promote:myapp:nginx:1.27' --by <name>",
      'approval succeeded',
    ]);
  });

  it('a spinner line with the state and elapsed time on a terminal, cleared at the end', async () => {
    const s = sink(true);
    const follower = followPromotion(fakeHandle(), { out: s.out, tty: true, intervalMs: 150 });
    await new Promise((r) => setTimeout(r, 260));
    await follower.stop();
    expect(s.text()).toMatch(/\r\x1b\[K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (promoting · dev-sync|awaiting-approval · approval) {2}\d+s/);
    expect(s.text()).toMatch(/ {2}dev-sync running {2}\d+s\n/);
    expect(s.text().endsWith('\r\x1b[K')).toBe(true);
  });
});
