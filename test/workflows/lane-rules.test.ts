// The lane's rules, pure: who is superseded, who enters, who waits, in both concurrency modes.
import { describe, expect, it } from 'vitest';
import type { LaneRequest, PromotionSighting } from '../../src/workflows/contract.js';
import { applySightings, arrange, decisionFor, holdersOf, restoreBook, standingFromStatus, type LaneBook } from '../../src/workflows/lane-rules.js';
import type { PromotionStatus } from '../../src/workflows/promotion-status.js';

const ENVS = ['dev', 'staging', 'prod'];
const at = (environment: string, opts: Partial<LaneRequest> = {}): LaneRequest => {
  const index = ENVS.indexOf(environment);
  return { environment, index, atGate: false, gated: environment === 'prod', last: index === ENVS.length - 1, concurrency: 'supersede', allowOlder: false, ...opts };
};
const seen = (promotionId: string, startedAt: number, request?: LaneRequest): PromotionSighting => ({ promotionId, running: true, startedAt, state: 'promoting', request });
const step = (book: LaneBook, ...sightings: PromotionSighting[]) => arrange(applySightings(book, sightings));
const empty: LaneBook = { entries: [], reached: {} };

describe('lane rules: supersede', () => {
  it('a newer promotion reaching an environment an older one is in supersedes it; the environment is handed over once the older one stopped', () => {
    let book = step(empty, seen('old', 1, at('dev')));
    expect(decisionFor(book, 'old')).toEqual({ kind: 'enter', environment: 'dev' });
    book = step(book, seen('new', 2, at('dev')));
    expect(decisionFor(book, 'old')).toEqual({ kind: 'superseded', by: 'new', environment: 'dev' });
    // The older one may still be settling its last step: the newer one waits for it to stop, not longer.
    expect(decisionFor(book, 'new')).toEqual({ kind: 'wait', environment: 'dev', for: 'old' });
    book = step(book, { promotionId: 'old', running: true, startedAt: 1, state: 'superseded' });
    expect(decisionFor(book, 'new')).toEqual({ kind: 'enter', environment: 'dev' });
    expect(holdersOf(book)).toEqual({ dev: 'new' });
  });

  it('an older promotion past the gate (inside prod) finishes; the newer one, approved, waits for it', () => {
    let book = step(empty, seen('old', 1, at('prod')));
    book = step(book, seen('new', 2, at('prod', { atGate: true })));
    expect(decisionFor(book, 'old')).toEqual({ kind: 'enter', environment: 'prod' });
    expect(decisionFor(book, 'new')).toEqual({ kind: 'gate', environment: 'prod' });
    book = step(book, seen('new', 2, at('prod')));
    expect(decisionFor(book, 'old')).toEqual({ kind: 'enter', environment: 'prod' });
    expect(decisionFor(book, 'new')).toEqual({ kind: 'wait', environment: 'prod', for: 'old' });
    book = step(book, { promotionId: 'old', running: false });
    expect(decisionFor(book, 'new')).toEqual({ kind: 'enter', environment: 'prod' });
  });

  it('an older promotion at the gate is superseded by a newer one reaching the gate', () => {
    let book = step(empty, seen('old', 1, at('prod', { atGate: true })));
    book = step(book, seen('new', 2, at('prod', { atGate: true })));
    expect(decisionFor(book, 'old')).toEqual({ kind: 'superseded', by: 'new', environment: 'prod' });
    expect(decisionFor(book, 'new')).toEqual({ kind: 'gate', environment: 'prod' });
  });

  it('an approved promotion waiting for prod (the old "next") is displaced by a newer approved one, and told so', () => {
    let book = step(step(empty, seen('holder', 1, at('prod'))), seen('next', 2, at('prod')));
    expect(decisionFor(book, 'next')).toEqual({ kind: 'wait', environment: 'prod', for: 'holder' });
    // A newer one still waiting for approval does not displace an approved one.
    book = step(book, seen('newest', 3, at('prod', { atGate: true })));
    expect(decisionFor(book, 'next').kind).toBe('wait');
    book = step(book, seen('newest', 3, at('prod')));
    expect(decisionFor(book, 'next')).toEqual({ kind: 'superseded', by: 'newest', environment: 'prod' });
    expect(decisionFor(book, 'holder')).toEqual({ kind: 'enter', environment: 'prod' });
  });

  it('an older promotion never enters an environment a newer one already went through, unless allowed', () => {
    let book = step(empty, seen('new', 2, at('staging')));
    book = step(book, { promotionId: 'new', running: false });
    expect(book.reached.staging).toEqual({ promotionId: 'new', startedAt: 2 });
    expect(decisionFor(step(book, seen('old', 1, at('staging'))), 'old')).toEqual({ kind: 'superseded', by: 'new', environment: 'staging' });
    expect(decisionFor(step(book, seen('old', 1, at('staging', { allowOlder: true }))), 'old')).toEqual({ kind: 'enter', environment: 'staging' });
  });

  it('an older promotion behind a newer one is not touched until it reaches where the newer one went', () => {
    const book = step(empty, seen('old', 1, at('dev')), seen('new', 2, at('staging')));
    expect(decisionFor(book, 'old')).toEqual({ kind: 'enter', environment: 'dev' });
    expect(decisionFor(book, 'new')).toEqual({ kind: 'enter', environment: 'staging' });
  });
});

describe('lane rules: queue', () => {
  const q = (environment: string, opts: Partial<LaneRequest> = {}) => at(environment, { concurrency: 'queue', ...opts });

  it('passes each environment one at a time in start order, and nobody overtakes', () => {
    let book = step(empty, seen('b', 2, q('dev')), seen('a', 1, q('dev')));
    expect(decisionFor(book, 'a')).toEqual({ kind: 'enter', environment: 'dev' });
    expect(decisionFor(book, 'b')).toEqual({ kind: 'wait', environment: 'dev', for: 'a' });
    book = step(book, seen('a', 1, q('staging')));
    expect(decisionFor(book, 'a')).toEqual({ kind: 'enter', environment: 'staging' });
    expect(decisionFor(book, 'b')).toEqual({ kind: 'enter', environment: 'dev' });
    // b may not enter staging while a (older) has not passed it, even at a gate.
    book = step(book, seen('a', 1, q('prod', { atGate: true })), seen('b', 2, q('staging')));
    expect(decisionFor(book, 'b')).toEqual({ kind: 'enter', environment: 'staging' });
    book = step(book, seen('b', 2, q('prod')));
    expect(decisionFor(book, 'b')).toEqual({ kind: 'wait', environment: 'prod', for: 'a' });
    expect(decisionFor(book, 'a')).toEqual({ kind: 'gate', environment: 'prod' });
    book = step(book, { promotionId: 'a', running: true, startedAt: 1, state: 'rejected' });
    expect(decisionFor(book, 'b')).toEqual({ kind: 'enter', environment: 'prod' });
  });

  it('prod only moves forward in queue mode too', () => {
    let book = step(empty, seen('new', 2, q('prod')));
    book = step(book, { promotionId: 'new', running: false });
    expect(decisionFor(step(book, seen('old', 1, q('staging'))), 'old')).toEqual({ kind: 'enter', environment: 'staging' });
    expect(decisionFor(step(book, seen('old', 1, q('prod', { atGate: true }))), 'old')).toEqual({ kind: 'superseded', by: 'new', environment: 'prod' });
    expect(decisionFor(step(book, seen('old', 1, q('prod', { allowOlder: true }))), 'old')).toEqual({ kind: 'enter', environment: 'prod' });
  });
});

describe('lane bookkeeping', () => {
  it('drops promotions that are not running, and keeps what it knew when a status query went unanswered', () => {
    let book = step(empty, seen('a', 1, at('dev')));
    book = step(book, { promotionId: 'a', running: true, startedAt: 1, unanswered: true });
    expect(decisionFor(book, 'a')).toEqual({ kind: 'enter', environment: 'dev' });
    book = step(book, { promotionId: 'a', running: false });
    expect(book.entries).toEqual([]);
    expect(decisionFor(book, 'a')).toEqual({ kind: 'unknown' });
  });

  it('restores only well-formed state from its input', () => {
    expect(restoreBook(null)).toEqual({ entries: [], reached: {}, pending: [] });
    expect(restoreBook({ entries: [{ promotionId: 'a', startedAt: 1, granted: 'dev' }, { promotionId: 3 }, null], reached: { prod: { promotionId: 'b', startedAt: 2 }, x: 1 }, pending: ['c', 4] })).toEqual({
      entries: [{ promotionId: 'a', startedAt: 1, granted: 'dev' }],
      reached: { prod: { promotionId: 'b', startedAt: 2 } },
      pending: ['c'],
    });
  });

  it('reads where a promotion started before lane-v2 stands from its approval stage', () => {
    const legacy = (state: PromotionStatus['state'], approval: 'running' | 'succeeded'): PromotionStatus => ({
      app: 'myapp',
      image: 'nginx:1',
      requestedBy: 'ci',
      state,
      stages: [
        { stage: 'dev-sync', environment: 'dev', status: 'succeeded' },
        { stage: 'staging-promote', environment: 'staging', status: 'succeeded' },
        { stage: 'approval', environment: 'prod', status: approval },
        { stage: 'prod-promote', environment: 'prod', status: 'pending' },
      ],
      approvals: [],
      rejections: [],
      refused: [],
    });
    expect(standingFromStatus(legacy('awaiting-approval', 'running'))).toEqual({ request: expect.objectContaining({ environment: 'prod', index: 2, atGate: true }), inside: false });
    expect(standingFromStatus(legacy('promoting', 'succeeded'))).toEqual({ request: expect.objectContaining({ environment: 'prod', atGate: false }), inside: true });
    expect(standingFromStatus({ ...legacy('promoting', 'succeeded'), laneVersion: 2 })).toEqual({});
    expect(standingFromStatus({ ...legacy('promoting', 'succeeded'), laneVersion: 2, lane: { environment: 'x' } as never })).toEqual({});
  });
});
