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
    /** The order it is about, when there is one (a notification the notifications service decided). */
    orderId: z.string().optional(),
    /** The event and template it was decided from, when the notifications service made it. */
    decidedFrom: z.object({ eventId: z.string(), eventType: z.string(), template: z.string() }).optional(),
    /**
     * The body holds a secret (a password reset link): it is sent, never kept on the notification
     * record, which customers and admins read back.
     */
    confidential: z.boolean().optional(),
    /**
     * The latest it is worth sending (ISO time): the link it carries expires then. A request that
     * comes later (after an outage of the mail server, a backlog, a replay) is recorded SKIPPED, unsent.
     */
    sendBy: z.string().datetime().optional(),
  }),
);
