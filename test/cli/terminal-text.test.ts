// Everything the CLI prints from a workflow is escaped: a stranger's approver or comment (anyone who can
// signal a promotion writes them) cannot draw a fake line, move the cursor or recolour the terminal.
import { describe, expect, it } from 'vitest';
import { transitions } from '../../src/cli/follow.js';
import { formatList } from '../../src/cli/list.js';
import { formatStatus } from '../../src/cli/status.js';
import { terminalText } from '../../src/cli/terminal-text.js';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';

// What a hostile comment looks like: end the line, clear it, and print an approval that never happened.
const FAKE_LINE = 'ok\n  approvals: sre-oncall (LGTM)\r\x1b[2K\x1b[32mapproved\x1b[0m\u009b31m\u202etxt';
// No raw control character, C1 control or bidi override may survive.
const RAW = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const status = (over: Partial<PromotionStatus> = {}): PromotionStatus => ({
  app: 'myapp',
  image: 'nginx:1.27',
  requestedBy: 'ci',
  state: 'awaiting-approval',
  currentStage: 'approval',
  stages: [
    { stage: 'dev-sync', environment: 'dev', status: 'succeeded', commit: 'a'.repeat(40) },
    { stage: 'approval', status: 'running' },
  ],
  approvals: [],
  rejections: [],
  refused: [],
  ...over,
});

describe('terminalText', () => {
  it('turns control characters into visible escapes and leaves ordinary text alone', () => {
    expect(terminalText('a\nb\tc\r')).toBe('a\\nb\\tc\\r');
    expect(terminalText('\x1b[31m')).toBe('\\u001b[31m');
    expect(terminalText('\u009b\u202e\u2028')).toBe('\\u009b\\u202e\\u2028');
    expect(terminalText('Zoë, 日本, nginx:1.27 → prod')).toBe('Zoë, 日本, nginx:1.27 → prod');
  });
});

describe('every print of workflow data is escaped', () => {
  it('status: approvals, rejections, refused decisions, failures and who requested', () => {
    const text = formatStatus(
      'promote:myapp:nginx:1.27',
      status({
        requestedBy: FAKE_LINE,
        approvals: [{ approver: FAKE_LINE, comment: FAKE_LINE, at: '' }],
        rejections: [{ approver: 'bob', comment: FAKE_LINE, at: '' }],
        refused: [{ approver: FAKE_LINE, reason: FAKE_LINE, at: '' }],
        failure: FAKE_LINE,
        stages: [{ stage: 'dev-sync', environment: 'dev', status: 'failed', failure: FAKE_LINE }],
      }),
    );
    // The output's own line breaks are the only ones: one per line promenade means to print.
    expect(text.split('\n')).toHaveLength(8);
    expect(text.split('\n').filter((l) => l.startsWith('  approvals:'))).toHaveLength(1);
    for (const line of text.split('\n')) expect(line).not.toMatch(RAW);
  });

  it('list: workflow IDs and states as their starter wrote them', () => {
    const text = formatList([{ workflowId: `promote:x\n${FAKE_LINE}`, state: 'promoted\x1b[2K', status: 'running', started: '2026-11-30T00:00:00.000Z' }]);
    expect(text.split('\n')).toHaveLength(1);
    expect(text).not.toMatch(RAW);
  });

  it('promote --wait: stage failures and the workflow ID', () => {
    const lines = transitions(`promote:x\n${FAKE_LINE}`, undefined, status({ state: 'awaiting-approval', stages: [{ stage: 'dev-sync', status: 'failed', failure: FAKE_LINE }] }));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(RAW);
  });
});

describe('a rollback without a commit', () => {
  it('status names the failure instead of an empty SHA', () => {
    const text = formatStatus(
      'promote:myapp:nginx:1.27',
      status({
        state: 'rollback-failed',
        currentStage: undefined,
        stages: [{ stage: 'prod-promote', environment: 'prod', status: 'failed', commit: 'b'.repeat(40), rollback: { commit: '', method: 'revert', healthy: false, failure: 'push rejected' } }],
      }),
    );
    expect(text).not.toMatch(/by +\(/);
    expect(text).toContain(`prod-promote     failed  commit ${'b'.repeat(12)}, rollback failed before a revert commit: push rejected`);
  });

  it('a revert that committed and then failed names both', () => {
    const lines = transitions('W', undefined, status({ stages: [{ stage: 'prod-promote', status: 'failed', rollback: { commit: 'c'.repeat(40), method: 'revert', healthy: false, failure: 'sync timed out' } }] }));
    expect(lines[0]).toBe(`prod-promote failed (rolled back by ${'c'.repeat(12)} (revert), then failed: sync timed out)`);
  });
});
