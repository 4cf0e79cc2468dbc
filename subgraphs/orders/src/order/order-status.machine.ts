import { ConflictError, ForbiddenError } from '@shop/platform/core';
import { OrderStatus, PaymentStatus } from './order.type.js';

export interface OrderState {
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  /** Set by the transition that applies a payment.succeeded. */
  paymentId?: string;
}

/**
 * Who asks for a change: the order's owner (also by deleting their account), an admin, the payments
 * service (via its events), or the expiry job.
 */
export type Actor = 'owner' | 'admin' | 'payment' | 'expiry';

/** The contract's life cycle; any pair not listed here is refused. */
const ALLOWED: Record<OrderStatus, Partial<Record<OrderStatus, readonly Actor[]>>> = {
  [OrderStatus.PENDING]: { [OrderStatus.PAID]: ['payment'], [OrderStatus.CANCELLED]: ['owner', 'admin', 'expiry'] },
  [OrderStatus.PAID]: { [OrderStatus.SHIPPED]: ['admin'] },
  [OrderStatus.SHIPPED]: { [OrderStatus.DELIVERED]: ['admin'] },
  [OrderStatus.DELIVERED]: {},
  [OrderStatus.CANCELLED]: {},
};

/** Whether `actor` may ask for `requested` from any state at all: shipping, say, is only ever an admin's. */
function mayEverAsk(actor: Actor, requested: OrderStatus): boolean {
  return Object.values(ALLOWED).some((moves) => moves[requested]?.includes(actor));
}

function refuse(current: OrderStatus, requested: OrderStatus): ConflictError {
  return new ConflictError(`An order cannot go from ${current} to ${requested}`, {
    currentStatus: current,
    requestedStatus: requested,
  });
}

/** Every decision about an order's status; the service only persists what these return. */
export const orderStatusMachine = {
  /**
   * A person's request (updateOrderStatus). FORBIDDEN for a move that is the other person's and never
   * this one's (a customer shipping an order: the contract's example); CONFLICT for anything else the
   * life cycle refuses from this state.
   */
  request(state: OrderState, requested: OrderStatus, actor: 'owner' | 'admin'): OrderState {
    if (ALLOWED[state.status][requested]?.includes(actor)) return { ...state, status: requested };
    const other = actor === 'owner' ? 'admin' : 'owner';
    if (!mayEverAsk(actor, requested) && mayEverAsk(other, requested)) {
      throw new ForbiddenError(`Only an ${other} may move an order to ${requested}`);
    }
    throw refuse(state.status, requested);
  },

  /**
   * payment.succeeded: null when already applied (a redelivery). A payment that settles after the
   * order was cancelled (the two raced) is marked REFUNDED: payments refunds it when it sees the
   * cancelled order. Anything else is a CONFLICT.
   */
  paymentSucceeded(state: OrderState): OrderState | null {
    if (state.paymentStatus === PaymentStatus.SUCCEEDED || state.paymentStatus === PaymentStatus.REFUNDED) return null;
    if (state.status === OrderStatus.CANCELLED) return { ...state, paymentStatus: PaymentStatus.REFUNDED };
    if (!ALLOWED[state.status][OrderStatus.PAID]?.includes('payment')) throw refuse(state.status, OrderStatus.PAID);
    return { status: OrderStatus.PAID, paymentStatus: PaymentStatus.SUCCEEDED };
  },

  /**
   * payment.failed: the order stays PENDING so payment can be tried again. Null when there is
   * nothing to record: a redelivery, or an order another attempt already settled or that was cancelled.
   */
  paymentFailed(state: OrderState): OrderState | null {
    if (state.status !== OrderStatus.PENDING || state.paymentStatus === PaymentStatus.FAILED) return null;
    return { status: OrderStatus.PENDING, paymentStatus: PaymentStatus.FAILED };
  },

  /** The payment timeout: an unpaid PENDING order is cancelled; null when it has moved on meanwhile. */
  expire: (state: OrderState) => cancelledBy(state, 'expiry'),

  /**
   * Its owner's account was deleted (user.deleted): an order its owner could still cancel (unpaid)
   * is cancelled, since nobody can pay it any more; null for any other, which is fulfilled.
   */
  ownerDeleted: (state: OrderState) => cancelledBy(state, 'owner'),
};

function cancelledBy(state: OrderState, actor: Actor): OrderState | null {
  if (!ALLOWED[state.status][OrderStatus.CANCELLED]?.includes(actor)) return null;
  return { ...state, status: OrderStatus.CANCELLED };
}
