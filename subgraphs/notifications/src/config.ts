import { retryPolicyShape } from '@shop/events';
import { mongoShape, portVar, urlVar } from '@shop/platform';
import { z } from 'zod';

export const notificationsConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  NOTIFICATIONS_PORT: portVar(3005),
  /** Where customers' email addresses come from. */
  USERS_URL: urlVar('http://127.0.0.1:3001/graphql'),
  /** smtp:// or smtps:// URL of the mail server; required in production, logged instead of sent otherwise. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Shop <no-reply@shop.local>'),
};
