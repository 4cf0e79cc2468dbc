import { COMMON_PASSWORDS } from '@shop/platform/core';
import { z } from 'zod';

/**
 * ASVS 2.1: at least 8 characters, no composition rules, common passwords refused. The upper
 * bound (128 characters, at most 4 bytes each) keeps a huge body from turning argon2 into a DoS.
 */
export const passwordPolicy = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(128, 'must be at most 128 characters')
  .refine((value) => !COMMON_PASSWORDS.has(value.toLowerCase()), 'is too common');
