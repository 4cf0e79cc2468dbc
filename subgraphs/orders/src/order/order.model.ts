import { hourOf } from '@shop/platform/core';
import { outboxPlugin, type PendingEvent, pendingEventsProp } from '@shop/platform/mongo';
import { getModelForClass, index, modelOptions, plugin, pre, prop } from '@typegoose/typegoose';
import { OrderStatus, PaymentStatus } from './order.type.js';

export class OrderItemRecord {
  @prop({ required: true, type: () => String })
  productId!: string;

  @prop({ required: true, type: () => Number })
  quantity!: number;

  /** Unit price in integer cents as products quoted it when the stock was reserved. */
  @prop({ required: true, type: () => Number })
  priceCents!: number;
}

export class ShippingAddressRecord {
  @prop({ required: true, type: () => String })
  street!: string;

  @prop({ required: true, type: () => String })
  city!: string;

  @prop({ required: true, type: () => String })
  state!: string;

  @prop({ required: true, type: () => String })
  zipCode!: string;

  @prop({ required: true, type: () => String })
  country!: string;
}

// Listings sort newest first with the id as tie-breaker; one index per listing filter. All orders
// are listed an hour at a time (OrderHourRegistry), which FerretDB serves by equality.
@index({ userId: 1, createdAt: -1, _id: -1 })
@index({ createdHour: 1, createdAt: -1, _id: -1 })
// The expiry sweep's PENDING orders, oldest first (and a status's listing while it holds few orders).
@index({ status: 1, createdAt: 1 })
// The sweep's cancelled orders still holding stock: a handful among every order ever cancelled. The
// flag leads because FerretDB's filters are served by an index on each index's leading field only
// (docs/ferretdb.md), and status's would select every cancelled order.
@index({ stockReleased: 1, status: 1 })
@plugin(outboxPlugin)
// The creation time is fixed before the insert (the timestamps keep it), so its hour goes with it.
@pre<OrderRecord>('validate', function setCreatedHour() {
  this.createdAt ??= new Date();
  this.createdHour ??= hourOf(this.createdAt);
})
@modelOptions({ schemaOptions: { collection: 'orders', timestamps: true } })
export class OrderRecord {
  /** A UUID chosen before the order is stored, so the stock reservation can be keyed on it. */
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String })
  userId!: string;

  @prop({ required: true, type: () => [OrderItemRecord], _id: false })
  items!: OrderItemRecord[];

  @prop({ required: true, enum: OrderStatus, type: () => String })
  status!: OrderStatus;

  @prop({ required: true, enum: PaymentStatus, type: () => String })
  paymentStatus!: PaymentStatus;

  @prop({ required: true, type: () => Number })
  totalCents!: number;

  @prop({ required: true, type: () => ShippingAddressRecord, _id: false })
  shippingAddress!: ShippingAddressRecord;

  /**
   * The client's idempotency key, when it sent one, and what it asked for (items and address): a
   * replay of the key is answered with this order only for the same request. Looked up by user and
   * key, which the user's listing index serves (FerretDB reads an index's leading field only).
   */
  @prop({ type: () => String })
  idempotencyKey?: string;

  @prop({ type: () => String })
  requestFingerprint?: string;

  /** The payment whose payment.succeeded was applied: the order's live payment from then on. */
  @prop({ type: () => String })
  paymentId?: string;

  /**
   * False from the order's insert until the expiry sweep has seen products confirm its stock
   * reservation (which expires unconfirmed after STOCK_RESERVATION_TTL); create confirms too, but
   * writes nothing more. An order products refuses is cancelled. Absent on orders placed by a
   * release from before confirmations; a PENDING one is treated as unconfirmed: during a rolling
   * upgrade, old replicas still place orders whose reservations the new products expires. (Orders
   * past PENDING keep their stock: the migration confirmed their reservations.)
   */
  @prop({ type: () => Boolean })
  stockConfirmed?: boolean;

  /** False from cancellation until products confirmed the release; the expiry sweep retries it. */
  @prop({ type: () => Boolean })
  stockReleased?: boolean;

  @prop(pendingEventsProp)
  pendingEvents!: PendingEvent[];

  /**
   * The consumed events (payment outcomes) applied to this order, written with their change: the
   * payments consumer's processed-event marker, in the document its effect updates anyway.
   */
  @prop({ type: () => [String], default: undefined })
  appliedEventIds?: string[];

  /** `hourOf(createdAt)`: the equality all orders are listed and counted by, an hour at a time. */
  @prop({ required: true, type: () => Number })
  createdHour!: number;

  createdAt!: Date;
  updatedAt!: Date;
}

export const OrderModel = getModelForClass(OrderRecord);
