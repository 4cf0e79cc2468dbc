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
    /** The order it is about, when there is one (a notification the notifications service decided). */
    orderId: z.string().optional(),
    /** The event and template it was decided from, when the notifications service made it. */
    decidedFrom: z.object({ eventId: z.string(), eventType: z.string(), template: z.string() }).optional(),
  }),
);
