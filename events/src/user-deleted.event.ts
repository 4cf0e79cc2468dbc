import { z } from 'zod';
import { defineEvent } from './envelope.js';

/**
 * An account was deleted by its owner (users, `deleteMe`), written with the erasure itself. A
 * service that keeps what the account said about its owner (the notifications' addresses and
 * bodies) erases it.
 */
export const userDeleted = defineEvent('user.deleted', 1, z.object({ userId: z.string() }));
