import { z } from 'zod';
import { defineEvent } from './envelope.js';

/**
 * Asks the notifications service to send an email; `to` is resolved by the producer.
 * `notificationId` names the notification record the delivery is recorded on, when the
 * notifications service made it itself.
 */
export const notificationEmail = defineEvent(
  'notification.email',
  1,
  z.object({
    userId: z.string(),
    to: z.string().email(),
    subject: z.string(),
    body: z.string(),
    notificationId: z.string().optional(),
  }),
);
