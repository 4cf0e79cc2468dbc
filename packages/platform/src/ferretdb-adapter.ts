/**
 * The FerretDB adapter: the only per-process locking in the code base, and what it is for.
 *
 * MongoDB applies each single-document update atomically. FerretDB 1.x, the MongoDB-wire server
 * of the development and CI machines, applies one as read–modify–write of the whole document
 * without a lock, on both its SQLite and PostgreSQL handlers: two concurrent conditional updates
 * of one document can both "match", and of two concurrent updates one can be lost (measured: 4
 * clients × 50 `$inc` of one field left 71). Inserts under a unique index do hold.
 *
 * So nothing that must hold across replicas rests on this module; that is claimed by a unique
 * insert (order transitions, effect claims for refunds and sends, payment keys and slots,
 * notifications keyed by event, refresh-token uses and revocations) or counted by inserts (login attempts).
 * What this module does is queue this process's writes to one document, so that one replica on
 * FerretDB loses none of its own updates. It protects:
 *
 * - `users` documents (UserService: password, role, profile, token version; the outbox relay
 *   removing an account's sent emails; the users' purge of expired confirmation links): concurrent
 *   changes of one account from two replicas can lose one on FerretDB.
 * - login and registration attempt keys (AuthThrottle): one replica counts a burst exactly; across
 *   replicas the limit holds anyway, with a burst possibly refused a little early.
 * - `orders` documents (OrderTransitionWriter applying a claimed transition, OrderService the
 *   stock flags) and the outbox relay's removal of published events from any aggregate: across replicas a concurrent
 *   write can undo an applied transition on FerretDB, which the next decision on that order (for
 *   one left unpaid, the expiry sweep) rolls forward again from its claim.
 * - `payments` documents (PaymentService settling a payment, marking it refunded) and refund
 *   effect keys (one delivery of a refund at a time in a process; across replicas the claim decides).
 * - `notifications` documents (DeliveryService recording a delivery's state).
 *
 * On MongoDB every one of these is atomic without the queue. docs/ferretdb.md says
 * which guarantees therefore need a single replica on FerretDB.
 */
const tails = new Map<string, Promise<unknown>>();

export async function withDocumentLock<T>(collection: string, id: unknown, write: () => Promise<T>): Promise<T> {
  const key = `${collection}:${String(id)}`;
  const previous = tails.get(key) ?? Promise.resolve();
  const result = previous.then(write, write);
  const tail = result.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await result;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/**
 * The most update statements to send in one command (a `bulkWrite` of `updateOne`s). FerretDB 1.24
 * on PostgreSQL holds a connection of its pool for each statement until the command ends, so a
 * command of more statements than that pool holds never returns, and every other command waits with
 * it (measured: 150 statements returned in 1.5 s; 250, with a pool of 200, never did). Kept well
 * below, for several replicas sending such commands at once.
 */
export const MAX_UPDATES_PER_COMMAND = 50;
