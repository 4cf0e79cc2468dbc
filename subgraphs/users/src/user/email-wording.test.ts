import { describe, expect, it } from 'vitest';
import { emailWording } from './email-wording.js';

const MINUTE = 60_000;

describe('emailWording', () => {
  it('says how long a link works exactly, in the largest unit that divides it', () => {
    const said = [30, 45, 90, 60, 120, 1_440, 3 * 1_440, 60 * 60].map((minutes) =>
      emailWording.lifetime(minutes * MINUTE),
    );
    expect(said).toEqual([
      '30 minutes',
      '45 minutes',
      '90 minutes',
      '1 hour',
      '2 hours',
      '1 day',
      '3 days',
      '60 hours',
    ]);
  });

  it('says when something happened to the minute, in UTC', () => {
    expect(emailWording.moment(new Date('2026-12-06T05:41:59.000Z'))).toBe('2026-12-06 at 05:41 UTC');
  });
});
