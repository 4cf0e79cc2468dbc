import { PendingEvent } from '@shop/platform/mongo';
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { OrderStatus, PaymentStatus } from './order.type.js';

export class OrderStateRecord {
  @prop({ required: true, enum: OrderStatus, type: () => String })
  status!: OrderStatus;

  @prop({ required: true, enum: PaymentStatus, type: () => String })
  paymentStatus!: PaymentStatus;

  /** The payment that made the order PAID (only on that transition's target state). */
  @prop({ type: () => String })
  paymentId?: string;
}

/**
 * The claim on one way out of an order's state, and the log of its life cycle. An order never
 * returns to a state it left, so `<orderId>:<status>:<paymentStatus>` names one transition, and
 * inserting it under the unique `_id` is what decides which of several writers (other replicas
 * included: the per-process document lock does not reach them) moves the order on. The claim
 * carries the whole change, so anyone who finds it unapplied (its writer crashed) can apply it.
 * The transitions of an hour, with the orders placed in it, are how many orders each status holds
 * (OrderHourRegistry.countWithStatus).
 */
@index({ createdHour: 1 })
@modelOptions({ schemaOptions: { collection: 'order_transitions', timestamps: { createdAt: true, updatedAt: false } } })
export class OrderTransitionRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => String, index: true })
  orderId!: string;

  @prop({ required: true, type: () => OrderStateRecord, _id: false })
  from!: OrderStateRecord;

  @prop({ required: true, type: () => OrderStateRecord, _id: false })
  to!: OrderStateRecord;

  @prop({ required: true, type: () => PendingEvent, _id: false })
  event!: PendingEvent;

  /** The consumed event this transition applies (payment.succeeded/failed), recorded in the order with it. */
  @prop({ type: () => String })
  causeEventId?: string;

  /**
   * Set on the cancellation of an order whose create never completed: its idempotency key is
   * dropped in the same update, so the client's retry places a new order.
   */
  @prop({ type: () => Boolean })
  releasesRequestKey?: boolean;

  /** `hourOf(createdAt)`: the hour whose status counts this transition moves. */
  @prop({ required: true, type: () => Number })
  createdHour!: number;

  /**
   * The order's own hour (its `createdHour`), whose orders are counted by status again once this
   * claim's hour is closed (order-status-hours.ts). Absent on claims from before it.
   */
  @prop({ type: () => Number })
  orderHour?: number;

  createdAt!: Date;
}

export const OrderTransitionModel = getModelForClass(OrderTransitionRecord);

export const transitionId = (orderId: string, from: { status: string; paymentStatus: string }): string =>
  `${orderId}:${from.status}:${from.paymentStatus}`;
