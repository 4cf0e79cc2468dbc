import { NO_MAIL_DOMAIN, NO_MAIL_MESSAGE, WELL_FORMED, WELL_FORMED_MESSAGE } from '@shop/platform/core';
import { z } from 'zod';
import { passwordPolicy } from './password-policy.js';

/** What a customer types into an account (registration, profile, a new address), as it is stored. */
export const emailSchema = z.string().trim().toLowerCase().pipe(z.string().email('must be an email').max(254));
/** An address given to an account (registration, an address change, ADMIN_EMAIL): one that receives mail. */
export const accountEmailSchema = emailSchema.refine((email) => !NO_MAIL_DOMAIN.test(email), NO_MAIL_MESSAGE);
// Control characters in a name end up in e-mails and invoices; nothing else is refused.
const nameSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(100, 'must be at most 100 characters')
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .regex(WELL_FORMED, WELL_FORMED_MESSAGE);
const E164 = /^\+[1-9]\d{6,14}$/;
// Empty means none: web forms send '' for a field left blank.
const phoneSchema = z
  .string()
  .trim()
  .refine((value) => value === '' || E164.test(value), 'must be an E.164 number such as +14155550100');
export const registerSchema = z.object({
  email: accountEmailSchema,
  password: passwordPolicy,
  firstName: nameSchema,
  lastName: nameSchema,
  phone: phoneSchema.nullish().transform((value) => value || undefined),
});
export const updateMeSchema = z
  .object({ firstName: nameSchema.nullish(), lastName: nameSchema.nullish(), phone: phoneSchema.nullish() })
  .refine(
    (input) => input.firstName != null || input.lastName != null || input.phone != null,
    'give firstName, lastName or phone',
  );
