// Re-recording never loses a history a running promotion may still need: the rule that decides what is kept.
import { describe, expect, it } from 'vitest';
import { keepOldHistories } from '../../scripts/record-histories.js';

const history = (...types: string[]) => JSON.stringify({ events: types.map((eventType, i) => ({ eventId: String(i + 1), eventType, eventTime: `t${Math.random()}` })) });

describe('keepOldHistories', () => {
  it('a new shape keeps the old recording under the next free v<N>- name', () => {
    const old = history('STARTED', 'TIMER_STARTED');
    const before = new Map([['rejected.json', old], ['v1-rejected.json', 'older']]);
    const after = new Map([['rejected.json', history('STARTED', 'ACTIVITY_TASK_SCHEDULED')], ['v1-rejected.json', 'older']]);
    expect(keepOldHistories(before, after)).toEqual(new Map([['v2-rejected.json', old]]));
  });

  it('the same shape keeps the committed file (no churn from new IDs and times)', () => {
    const old = history('STARTED', 'TIMER_STARTED');
    const before = new Map([['superseded.json', old]]);
    const after = new Map([['superseded.json', history('STARTED', 'TIMER_STARTED')]]);
    expect(keepOldHistories(before, after)).toEqual(new Map([['superseded.json', old]]));
  });

  it('new and untouched recordings need nothing', () => {
    const old = history('STARTED');
    expect(keepOldHistories(new Map([['a.json', old]]), new Map([['a.json', old], ['b.json', history('STARTED')]]))).toEqual(new Map());
  });
});
