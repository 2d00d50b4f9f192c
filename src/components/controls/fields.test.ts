import { describe, expect, it } from 'vitest';
import { numberProblem } from './fields';

describe('numberProblem: what a number box refuses', () => {
  it('accepts whole numbers in range, with spaces around', () => {
    expect(numberProblem('1', 1, 4096, true)).toBeUndefined();
    expect(numberProblem(' 4096 ', 1, 4096, true)).toBeUndefined();
    expect(numberProblem('1.25', 1, 3, false)).toBeUndefined();
  });

  it('refuses an empty box, text, out-of-range and fractional values, saying what to enter', () => {
    expect(numberProblem('', 1, 4096, true)).toBe('Empty: enter a whole number from 1 to 4,096.');
    expect(numberProblem('abc', 1, 4096, true)).toBe('"abc" is not a number: enter a whole number from 1 to 4,096.');
    expect(numberProblem('0', 1, 4096, true)).toBe('0 is out of range: enter a whole number from 1 to 4,096.');
    expect(numberProblem('100000', 1, 4096, true)).toBe('100,000 is out of range: enter a whole number from 1 to 4,096.');
    expect(numberProblem('2.5', 1, 4096, true)).toBe('2.5 is not whole: enter a whole number from 1 to 4,096.');
    expect(numberProblem('3.5', 1, 3, false)).toBe('3.5 is out of range: enter a number from 1 to 3.');
    expect(numberProblem('Infinity', 1, 3, false)).toBe('"Infinity" is not a number: enter a number from 1 to 3.');
  });
});
