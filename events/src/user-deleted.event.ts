import { z } from 'zod';
import { defineEvent } from './envelope.js';

/**
 * An account was deleted (users: `deleteMe` by its owner, `deleteUser` by an admin), written with
 * the erasure itself. A service that keeps what the account said about its owner (the
 * notifications' addresses and bodies) erases it; orders cancels the account's unpaid orders.
 */
export const userDeleted = defineEvent('user.deleted', 1, z.object({ userId: z.string() }));
