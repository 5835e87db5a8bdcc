// The condition language: what it accepts, what it refuses when promenade.yaml is loaded, and how it evaluates.
import { describe, expect, it } from 'vitest';
import { ConditionError, evaluateCondition, parseCondition } from '../../src/verification/condition.js';

const run = (text: string, result: number | number[]) => evaluateCondition(parseCondition(text), result);

describe('conditions', () => {
  it.each([
    ['result[0] < 0.05', [0.01], true],
    ['result[0] < 0.05', [0.2], false],
    ['result < 0.05', 0.01, true],
    ['len(result) == 0 or result[0] >= 0.99', [], true],
    ['len(result) == 0 or result[0] >= 0.99', [0.5], false],
    ['result[0] >= 0.95 && result[1] >= 0.95', [0.96, 0.97], true],
    ['not (result[0] > 1)', [0.5], true],
    ['!(result[0] > 1) and true', [2], false],
    ['result[0] * 100 <= 5 - 1', [0.03], true],
    ['-result[0] < 0', [3], true],
    ['isNaN(result[0])', [Number.NaN], true],
    ['result[len(result) - 1] == 7', [1, 7], true],
    ['1e-3 < result', 0.01, true],
  ])('%s with %j is %s', (text, result, expected) => {
    expect(run(text, result as number | number[])).toBe(expected);
  });

  it.each([
    ['', /is empty/],
    ['result[0] <', /expected more at the end/],
    ['process.exit(1)', /cannot read ".exit/],
    ['process', /unknown name "process"/],
    ['result[0] < 0.05; rm -rf /', /cannot read ";/],
    ['constructor', /unknown name "constructor"/],
    ['result[0] << 1', /unknown symbol "<"|expected/],
    ['(result[0] < 1', /expected "\)"/],
    ['result[0] < 1 2', /unexpected "2"/],
    ['x'.repeat(501), /longer than 500/],
    ['('.repeat(40) + 'true' + ')'.repeat(40), /nested too deeply/],
  ])('refuses %j when loaded', (text, error) => {
    expect(() => parseCondition(text)).toThrow(ConditionError);
    expect(() => parseCondition(text)).toThrow(error);
  });

  it.each([
    ['result[3] > 0', [1], /result\[3\] does not exist \(result has 1 value/],
    ['result[0] > 0', 5, /single value, not a list/],
    ['result > 0', [1, 2], /> needs a number/],
    ['result[0]', [1], /evaluates to 1, not true or false/],
    ['result == 1', [1], /compares single values/],
  ])('%s with %j cannot be evaluated: an error, never a pass', (text, result, error) => {
    expect(() => run(text, result as number | number[])).toThrow(error);
  });
});
