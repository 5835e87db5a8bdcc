// What `promenade status` prints about gates and refused decisions: each gate against its own policy, and how
// many refusals there were when only the latest are kept.
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/status.js';
import type { GateRecord, PromotionStatus } from '../../src/workflows/promotion-status.js';

const gate = (over: Partial<GateRecord>): GateRecord => ({
  gate: 'approval',
  environment: 'prod',
  state: 'open',
  required: 2,
  identity: 'asserted',
  approvers: ['alice', 'bob'],
  approvals: [],
  rejections: [],
  ...over,
});

const status = (over: Partial<PromotionStatus> = {}): PromotionStatus => ({
  app: 'myapp',
  image: 'nginx:1.27',
  requestedBy: 'ci',
  state: 'awaiting-approval',
  currentStage: 'approval',
  stages: [],
  approvals: [],
  rejections: [],
  refused: [],
  ...over,
});

describe('promenade status', () => {
  it('prints one line per gate: its state, its count against its own requirement, who may decide and the identity it needs', () => {
    const text = formatStatus(
      'p',
      status({
        gates: [
          gate({ gate: 'staging-approval', environment: 'staging', state: 'approved', required: 1, approvers: [], approvals: [{ approver: 'carol', at: '' }] }),
          gate({ identity: 'verified', approvals: [{ approver: 'alice', at: '' }] }),
        ],
      }),
    );
    const lines = text.split('\n').filter((l) => l.startsWith('  gate '));
    expect(lines).toEqual([
      '  gate staging-approval (staging): approved, 1 of 1 approval(s) from anyone, identity asserted',
      '  gate approval (prod): open, 1 of 2 approval(s) from alice, bob, identity verified',
    ]);
  });

  it('prints no gate lines for a run started before gates held their own decisions', () => {
    expect(formatStatus('p', status())).not.toMatch(/\n {2}gate /);
  });

  it('says how many decisions were refused in all when only the latest are kept', () => {
    const refused = [{ approver: 'mallory', at: '', reason: 'mallory is not an allowed approver' }];
    expect(formatStatus('p', status({ refused, refusedCount: 14 }))).toContain('  refused (14 in all, the latest 1): mallory (mallory is not an allowed approver)');
    expect(formatStatus('p', status({ refused, refusedCount: 1 }))).toContain('  refused: mallory (mallory is not an allowed approver)');
  });

  it('escapes a gate name or approver a stranger could have shaped', () => {
    const text = formatStatus('p', status({ gates: [gate({ approvers: ['eve\n  gate approval (prod): approved'] })] }));
    expect(text.split('\n').filter((l) => l.startsWith('  gate '))).toHaveLength(1);
  });
});
