import { describe, expect, it } from 'vitest';
import { OrderStatus, PaymentStatus } from './order.type.js';
import { orderStatusMachine } from './order-status.machine.js';

const statuses = Object.values(OrderStatus);
/** The contract's whole life cycle for people; every other pair must be refused. */
const allowed = new Set([
  'PENDING→CANCELLED:owner',
  'PENDING→CANCELLED:admin',
  'PAID→SHIPPED:admin',
  'SHIPPED→DELIVERED:admin',
]);
/** Moves that are only ever an admin's: a customer asking for one is FORBIDDEN in any state (CONTRACT.md). */
const adminsOnly = new Set<OrderStatus>([OrderStatus.SHIPPED, OrderStatus.DELIVERED]);

describe('orderStatusMachine.request', () => {
  for (const from of statuses) {
    for (const to of statuses) {
      for (const actor of ['owner', 'admin'] as const) {
        const key = `${from}→${to}:${actor}`;
        const forbidden = actor === 'owner' && adminsOnly.has(to);
        it(`${allowed.has(key) ? 'allows' : forbidden ? 'forbids' : 'refuses'} ${key}`, () => {
          const state = { status: from, paymentStatus: PaymentStatus.PENDING };
          if (allowed.has(key)) {
            expect(orderStatusMachine.request(state, to, actor)).toEqual({ ...state, status: to });
          } else if (forbidden) {
            expect(() => orderStatusMachine.request(state, to, actor)).toThrow(
              expect.objectContaining({ extensions: { code: 'FORBIDDEN' } }),
            );
          } else {
            expect(() => orderStatusMachine.request(state, to, actor)).toThrow(
              expect.objectContaining({ extensions: { code: 'CONFLICT', currentStatus: from, requestedStatus: to } }),
            );
          }
        });
      }
    }
  }
});

describe('orderStatusMachine payment outcomes', () => {
  const pending = { status: OrderStatus.PENDING, paymentStatus: PaymentStatus.PENDING };

  it('pays a pending order (also after a failed attempt), once', () => {
    const paid = { status: OrderStatus.PAID, paymentStatus: PaymentStatus.SUCCEEDED };
    expect(orderStatusMachine.paymentSucceeded(pending)).toEqual(paid);
    expect(orderStatusMachine.paymentSucceeded({ ...pending, paymentStatus: PaymentStatus.FAILED })).toEqual(paid);
    expect(orderStatusMachine.paymentSucceeded(paid)).toBeNull();
    expect(orderStatusMachine.paymentSucceeded({ ...paid, status: OrderStatus.SHIPPED })).toBeNull();
  });

  it('marks a payment that settles after cancellation for refund, once', () => {
    const cancelled = { ...pending, status: OrderStatus.CANCELLED };
    const refund = { status: OrderStatus.CANCELLED, paymentStatus: PaymentStatus.REFUNDED };
    expect(orderStatusMachine.paymentSucceeded(cancelled)).toEqual(refund);
    expect(orderStatusMachine.paymentSucceeded({ ...cancelled, paymentStatus: PaymentStatus.FAILED })).toEqual(refund);
    expect(orderStatusMachine.paymentSucceeded(refund)).toBeNull();
  });

  it('refuses a payment for an order that never was payable', () => {
    const delivered = { status: OrderStatus.DELIVERED, paymentStatus: PaymentStatus.PENDING };
    expect(() => orderStatusMachine.paymentSucceeded(delivered)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'CONFLICT' }) }),
    );
  });

  it('records a failure on a pending order only, once', () => {
    const failed = { status: OrderStatus.PENDING, paymentStatus: PaymentStatus.FAILED };
    expect(orderStatusMachine.paymentFailed(pending)).toEqual(failed);
    expect(orderStatusMachine.paymentFailed(failed)).toBeNull();
    expect(
      orderStatusMachine.paymentFailed({ status: OrderStatus.PAID, paymentStatus: PaymentStatus.SUCCEEDED }),
    ).toBeNull();
    expect(orderStatusMachine.paymentFailed({ ...pending, status: OrderStatus.CANCELLED })).toBeNull();
  });
});

describe.each(['expire', 'ownerDeleted'] as const)('orderStatusMachine.%s', (move) => {
  it('cancels an unpaid PENDING order (also after a failed attempt) and nothing else', () => {
    for (const paymentStatus of [PaymentStatus.PENDING, PaymentStatus.FAILED]) {
      expect(orderStatusMachine[move]({ status: OrderStatus.PENDING, paymentStatus })).toEqual({
        status: OrderStatus.CANCELLED,
        paymentStatus,
      });
    }
    for (const status of statuses.filter((s) => s !== OrderStatus.PENDING)) {
      expect(orderStatusMachine[move]({ status, paymentStatus: PaymentStatus.PENDING })).toBeNull();
    }
  });
});
