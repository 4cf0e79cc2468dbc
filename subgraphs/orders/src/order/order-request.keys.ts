import { createHash } from 'node:crypto';
import { ConflictError } from '@shop/platform/core';
import { EffectClaims } from '@shop/platform/mongo';
import { OrderModel } from './order.model.js';
import type { CreateOrderData } from './order-input.schema.js';
import type { StoredOrder } from './order-transition.writer.js';

/**
 * How long a create may hold its key before another request with it may take over: far beyond a
 * create's own calls (two products calls of at most 5 s each, and the releases of a failure), so only
 * a process that died mid-create leaves a key this long.
 */
const KEY_HOLD_MS = 60_000;

/** `claimed`: place the order, then `release` the key if that fails. `replay`: the key placed this order. */
export type OrderKeyClaim =
  | { state: 'claimed'; release: () => Promise<void> }
  | { state: 'replay'; order: StoredOrder };

/** What a request asked for, after validation (lines merged, text trimmed): a replay must ask the same. */
export function requestFingerprint(data: Pick<CreateOrderData, 'items' | 'shippingAddress'>): string {
  const items = [...data.items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
  const { street, city, state, zipCode, country } = data.shippingAddress;
  return createHash('sha256')
    .update(JSON.stringify([items, [street, city, state, zipCode, country]]))
    .digest('hex');
}

/**
 * createOrder's idempotency keys, one per user and key. The key is claimed before any stock is
 * reserved, with a unique insert (EffectClaims), so of two requests with one key only one places an
 * order; the other is told the key is in use, or, once the order is stored, answered with it. A
 * create that fails gives the key back, so the client's retry places the order: the claim is
 * released, and an order the create had stored drops the key with its cancellation (cancelUnplaced).
 */
export class OrderRequestKeys {
  private readonly claims = new EffectClaims(KEY_HOLD_MS);

  async claim(userId: string, key: string, fingerprint: string): Promise<OrderKeyClaim> {
    let placed: StoredOrder | null = null;
    const outcome = await this.claims.claim(`order-request:${userId}:${key}`, new Date(), async () => {
      placed = await OrderModel.findOne({ userId, idempotencyKey: key }).select('-pendingEvents').lean<StoredOrder>();
      return placed !== null;
    });
    if (outcome.state === 'busy') {
      throw new ConflictError('An order with this idempotency key is still being placed; retry shortly', {
        field: 'idempotencyKey',
        reason: 'IDEMPOTENCY_KEY_IN_USE',
      });
    }
    if (outcome.state === 'claimed') return { state: 'claimed', release: () => this.claims.release(outcome.claim) };
    // Settled: `placed` was read by the check above (keys are never settled otherwise).
    const order = placed as StoredOrder | null;
    if (!order) throw new Error(`idempotency key ${key} settled without an order`);
    if (order.requestFingerprint !== fingerprint) {
      throw new ConflictError('Idempotency key already used for a different request', { field: 'idempotencyKey' });
    }
    return { state: 'replay', order };
  }
}
