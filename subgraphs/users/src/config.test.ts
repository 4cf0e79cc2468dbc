import { parseConfig } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { usersConfig } from './config.js';

const parse = (env: Record<string, string>) => parseConfig(usersConfig, { NODE_ENV: 'development', ...env });

describe('users configuration', () => {
  it("takes links' lifetimes up to 30 days: stored dates, not timers, so past the timers' 24", () => {
    expect(parse({ EMAIL_VERIFICATION_TTL: '30d', PASSWORD_RESET_TTL: '25d' })).toMatchObject({
      EMAIL_VERIFICATION_TTL: 30 * 86_400_000,
      PASSWORD_RESET_TTL: 25 * 86_400_000,
    });
    expect(() => parse({ EMAIL_VERIFICATION_TTL: '31d' })).toThrow('EMAIL_VERIFICATION_TTL');
  });
});
