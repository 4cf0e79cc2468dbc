import { z } from 'zod';
import { defineEvent } from './envelope.js';

/** Asks the notifications service to send an email; `to` is resolved by the producer. */
export const notificationEmail = defineEvent(
  'notification.email',
  1,
  z.object({ userId: z.string(), to: z.string().email(), subject: z.string(), body: z.string() }),
);
