import { formatCents, toCents } from '@shop/platform/core';
import type { ReservedItem } from '../product/products.client.js';
import type { OrderItemRecord } from './order.model.js';
import type { Order } from './order.type.js';
import type { OrderLine } from './order-input.schema.js';
import type { StoredOrder } from './order-transition.writer.js';

/** The API's order from its stored record. */
export function toOrder(record: StoredOrder): Order {
  const { street, city, state, zipCode, country } = record.shippingAddress;
  return {
    id: record._id,
    user: { id: record.userId },
    items: record.items.map((item) => ({
      product: { id: item.productId },
      quantity: item.quantity,
      price: formatCents(item.priceCents),
    })),
    status: record.status,
    totalAmount: formatCents(record.totalCents),
    shippingAddress: { street, city, state, zipCode, country },
    paymentStatus: record.paymentStatus,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** Prices every requested line from the reservation; a reservation that does not match is a products bug. */
export function priceItems(lines: OrderLine[], reserved: ReservedItem[]): OrderItemRecord[] {
  const byProduct = new Map(reserved.map((item) => [item.productId.toLowerCase(), item]));
  return lines.map((line) => {
    const item = byProduct.get(line.productId);
    if (!item || item.quantity !== line.quantity) {
      throw new Error(`products reserved no matching line for product ${line.productId}`);
    }
    return { ...line, priceCents: toCents(item.unitPrice) };
  });
}
