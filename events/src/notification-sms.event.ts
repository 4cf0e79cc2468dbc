import { z } from 'zod';
import { defineEvent } from './envelope.js';

/** Asks the notifications service to send a text message; see notification.email for `notificationId`. */
export const notificationSms = defineEvent(
  'notification.sms',
  1,
  z.object({
    userId: z.string(),
    to: z.string().min(5),
    body: z.string().max(640),
    notificationId: z.string().optional(),
  }),
);
