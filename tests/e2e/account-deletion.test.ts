// A deleted account through the running stack: users writes `user.deleted` with the erasure, its
// relay publishes it, and the notifications service forgets the account's notifications (their
// addresses and bodies). Read in the stack's notifications databases.
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { graphqlOk, registerCustomer } from './stack.js';

let mongo: MongoClient;
beforeAll(async () => {
  mongo = await MongoClient.connect(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
});
afterAll(() => mongo?.close());

/** The user's notification records across the e2e stacks' notifications databases (the prefix is the stack's). */
async function notificationsOf(userId: string): Promise<number> {
  const { databases } = await mongo.db('admin').admin().listDatabases({ nameOnly: true });
  let count = 0;
  for (const { name } of databases.filter((database) => /^e2e_[a-z0-9]+_notifications$/.test(database.name))) {
    count += await mongo.db(name).collection('notifications').countDocuments({ userId });
  }
  return count;
}

it("forgets a deleted account's notifications once users has published user.deleted", async () => {
  const leaving = await registerCustomer('forgotten');
  // Its address confirmation email, recorded by the notifications service.
  await expect.poll(() => notificationsOf(leaving.id), { timeout: 30_000 }).toBeGreaterThan(0);

  const deleted = await graphqlOk<{ deleteMe: boolean }>(
    'mutation($p: String!) { deleteMe(currentPassword: $p) }',
    { p: 'forgotten-password-e2e' },
    leaving.token,
  );
  expect(deleted).toEqual({ deleteMe: true });
  await expect.poll(() => notificationsOf(leaving.id), { timeout: 30_000 }).toBe(0);
});
