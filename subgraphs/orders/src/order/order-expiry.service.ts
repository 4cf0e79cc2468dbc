import type { SystemContext } from '@shop/platform/core';
import type { PaymentsClient } from '../payment/payments.client.js';
import type { CallContext } from '../product/products.client.js';
import { OrderStatus } from './order.type.js';
import { orderStatusMachine } from './order-status.machine.js';
import type { OrderStock } from './order-stock.js';
import { KEPT, sweepOldest } from './order-sweep.batches.js';
import type { OrderTransitionWriter, StoredOrder } from './order-transition.writer.js';

export interface SweepResult {
  /** Orders this sweep cancelled (another replica's wins are not listed). */
  expired: string[];
  /** Cancelled orders whose stock release this sweep completed. */
  released: number;
}

/**
 * What ends an order nobody completed: the payment timeout's sweep, and the cancellation of an order
 * whose create failed or was cut short. OrderService owns one (`expiry`) and shares its writer.
 */
export class OrderExpiryService {
  constructor(
    private readonly payments: PaymentsClient,
    private readonly transitions: OrderTransitionWriter,
    private readonly stock: OrderStock,
  ) {}

  /**
   * The payment timeout: cancels PENDING orders placed before `cutoff` (their payment window and
   * its grace are over: a payment started in the window has settled or never will), releasing their stock,
   * then retries stock releases that failed earlier. Safe in any number of replicas at once:
   * each cancellation is a claimed transition, so of several sweeps exactly one cancels an order.
   */
  async sweepUnpaid(ctx: SystemContext, cutoff: Date): Promise<SweepResult> {
    const expired: string[] = [];
    // The oldest unpaid orders not marked yet (create stays one write: the issue #15 budget of 15
    // commands per paid order; a payment marks its order as it applies). Among them, those whose
    // create was cut short (a crash, a lost call) between the insert and products' confirmation:
    // confirmed now, or cancelled if their reservation lapsed.
    await sweepOldest(
      { status: OrderStatus.PENDING, stockConfirmed: { $ne: true } },
      async (id) => {
        if (await this.confirmOrCancel(ctx, id)) expired.push(id);
      },
      (id, error) => ctx.log.warn({ err: error, orderId: id }, 'order stock not confirmed; the next sweep retries'),
    );
    // A payment made in time whose payment.succeeded has not come (a broker outage, an event waiting
    // out its retries) would be refunded if its order were cancelled now: the order is kept until the
    // event comes, and so is it while payments cannot say (a payments outage). Payments is asked
    // once a batch, so an outage costs one timeout a pass, not one an order.
    let payments = new Map<string, string | null>();
    const kept: string[] = [];
    const askPayments = async (ids: string[]) => {
      try {
        payments = await this.payments.paymentStatuses(ctx, ids);
        return true;
      } catch (error) {
        ctx.log.warn({ err: error }, 'payments did not answer; unpaid orders past their window are kept until it does');
        return false;
      }
    };
    await sweepOldest(
      { status: OrderStatus.PENDING, createdAt: { $lte: cutoff } },
      async (id) => {
        const payment = payments.get(id);
        if (payment === 'SUCCEEDED' || payment === 'PENDING') {
          kept.push(id);
          return KEPT;
        }
        const { won } = await this.transitions.move(id, (current) =>
          current.createdAt <= cutoff ? orderStatusMachine.expire(current) : null,
        );
        if (won) expired.push(id);
      },
      (id, error) => ctx.log.warn({ err: error, orderId: id }, 'unpaid order not expired; the next sweep retries'),
      askPayments,
    );
    if (kept.length > 0) {
      const orderIds = kept.slice(0, 20);
      ctx.log.warn(
        { kept: kept.length, orderIds },
        'unpaid orders past their window kept: their payments are not applied',
      );
    }
    // Every cancelled order's stock, these expiries' included, as many a pass as it may cancel. A failed
    // release (logged by releaseCancelled) ends the step after its batch, as in any sweep step.
    let released = 0;
    await sweepOldest(
      { status: OrderStatus.CANCELLED, stockReleased: false },
      async (id) => {
        if (!(await this.stock.releaseCancelled(ctx, id))) throw new Error('stock release failed');
        released++;
      },
      () => {},
    );
    if (expired.length > 0) ctx.log.info({ orderIds: expired }, 'expired unpaid orders');
    return { expired, released };
  }

  /**
   * Cancels, as an expiry (claimed, with its order.updated), a PENDING order whose create failed or
   * was cut short and whose stock is not held. Its idempotency key goes in the same update: the
   * customer was told the create failed, or told nothing, so a retry with the key places a new order.
   */
  async cancelUnplaced(orderId: string): Promise<boolean> {
    const cancel = (current: StoredOrder) => {
      const next = orderStatusMachine.expire(current);
      return next && { ...next, releasesRequestKey: true };
    };
    return (await this.transitions.move(orderId, cancel)).won;
  }

  /**
   * The sweep's confirmation of an order whose create may have been cut short: marks it confirmed, or
   * cancels it when products no longer holds its stock (true when this call cancelled it; its
   * release follows in the same sweep). Any other failure is thrown.
   */
  private async confirmOrCancel(ctx: CallContext, orderId: string): Promise<boolean> {
    if (!(await this.stock.held(ctx, orderId))) return this.cancelUnplaced(orderId);
    await this.stock.markConfirmed(orderId);
    return false;
  }
}
