import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { wholeNumber } from './whole-number.js';

describe('wholeNumber', () => {
  const count = wholeNumber(20, { min: 0, max: 100 });

  it('reads digits, and takes the fallback when absent', () => {
    expect(count.parse('7')).toBe(7);
    expect(count.parse('007')).toBe(7);
    expect(count.parse('0')).toBe(0);
    expect(count.parse(undefined)).toBe(20);
  });

  it('refuses what is not written as a whole number, where z.coerce would read a number', () => {
    for (const text of ['', ' 5', '5 ', '1e1', '0x10', '5.0', 'five', ['1', '2']]) {
      expect({ text, issues: count.safeParse(text).error?.issues.map((issue) => issue.message) }).toEqual({
        text,
        issues: ['must be a whole number'],
      });
    }
    expect(z.coerce.number().parse('0x10')).toBe(16);
  });

  it('refuses a number out of bounds (min 1 unless said)', () => {
    const messages = (text: string, schema = count) =>
      schema.safeParse(text).error?.issues.map((issue) => issue.message);
    expect(messages('101')).toEqual([expect.stringMatching(/<=\s*100/)]);
    expect(messages('-1')).toEqual([expect.stringMatching(/>=\s*0/)]);
    expect(messages('0', wholeNumber(5))).toEqual([expect.stringMatching(/>=\s*1/)]);
  });

  it('is documented as an integer with its bounds and default', () => {
    expect(z.toJSONSchema(count)).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: 20,
    });
  });
});
