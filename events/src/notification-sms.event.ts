import { z } from 'zod';
import { defineEvent } from './envelope.js';

export const notificationSms = defineEvent(
  'notification.sms',
  1,
  z.object({ userId: z.string(), to: z.string().min(5), body: z.string().max(640) }),
);
