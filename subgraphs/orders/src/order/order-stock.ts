import type { SystemContext } from '@shop/platform/core';
import { withDocumentLock } from '@shop/platform/mongo';
import { type CallContext, type ProductsClient, StockReservationLapsedError } from '../product/products.client.js';
import { OrderModel } from './order.model.js';

/**
 * A stored order's stock, which products holds: confirmed while the order may be paid, released
 * once it is cancelled, each recorded on the order (bookkeeping: `updatedAt` stays for the first).
 */
export class OrderStock {
  constructor(private readonly products: ProductsClient) {}

  /** Confirms the order's stock with products: false when products no longer holds it; throws when unsure. */
  async held(ctx: CallContext, orderId: string): Promise<boolean> {
    try {
      await this.products.confirmStock(ctx, orderId);
      return true;
    } catch (error) {
      if (error instanceof StockReservationLapsedError) return false;
      throw error;
    }
  }

  /** Records that products holds the order's stock for good, so the sweep stops confirming it. */
  async markConfirmed(orderId: string): Promise<void> {
    await withDocumentLock(OrderModel.collection.name, orderId, () =>
      OrderModel.updateOne(
        { _id: orderId, stockConfirmed: { $ne: true } },
        { $set: { stockConfirmed: true } },
        { timestamps: false },
      ),
    );
  }

  /** Releases a cancelled order's stock and records that it is done; until then the sweep retries. */
  async releaseCancelled(ctx: SystemContext, orderId: string): Promise<boolean> {
    try {
      await this.products.releaseStock(ctx, orderId);
    } catch (error) {
      ctx.log.error({ err: error, orderId }, 'stock release failed; reservation stays until released');
      return false;
    }
    await withDocumentLock(OrderModel.collection.name, orderId, () =>
      OrderModel.updateOne({ _id: orderId, stockReleased: false }, { $set: { stockReleased: true } }),
    );
    return true;
  }
}
