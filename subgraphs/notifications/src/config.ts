import { retryPolicyShape } from '@shop/events';
import { mongoShape, portVar } from '@shop/platform/core';
import { subgraphRevocationShape } from '@shop/platform/http';
import { z } from 'zod';

export const notificationsConfig = {
  ...mongoShape,
  ...retryPolicyShape,
  /** USERS_URL: where customers' email addresses and token versions come from. */
  ...subgraphRevocationShape,
  NOTIFICATIONS_PORT: portVar(3005),
  /** smtp:// or smtps:// URL of the mail server; required in production, logged instead of sent otherwise. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Shop <no-reply@shop.local>'),
};
