import { getModelForClass, index, modelOptions, prop, Severity } from '@typegoose/typegoose';
import mongoose from 'mongoose';
import type { OrderStatus } from './order.type.js';

/**
 * An hour in which orders may have been placed (`_id`: `hourOf`), for listing all orders newest
 * first by one equality per hour: FerretDB 1.x sorts in its own process after reading every match,
 * so an unfiltered sort or count would read the whole collection. Every orders process registers
 * the current and the next hour ahead of any order (OrderHourRegistry), so an hour with orders is
 * always here. One small document an hour: under 9,000 a year.
 */
@modelOptions({ schemaOptions: { collection: 'order_hours', versionKey: false } })
export class OrderHourRecord {
  @prop({ required: true, type: () => Number })
  _id!: number;

  /**
   * The hour's number of orders, written once the hour is closed (see `lastClosedHour`), so all
   * orders are counted without reading old hours again. Orders are never deleted.
   */
  @prop({ type: () => Number })
  count?: number;

  /**
   * What the hour did to each status's number of orders, written once the hour is closed: its
   * orders placed (PENDING) and its transitions (one out of a status, one into another).
   */
  @prop({ type: () => mongoose.Schema.Types.Mixed, allowMixed: Severity.ALLOW })
  statusNet?: StatusNet;

  /**
   * How many of the hour's orders were in each status when they were last counted, once the hour
   * is closed and again after each closed hour in which one of them moved on (order-status-hours.ts):
   * an admin's listing of one status skips an hour with none in it.
   */
  @prop({ type: () => mongoose.Schema.Types.Mixed, allowMixed: Severity.ALLOW })
  inStatus?: StatusNet;
}

/** Per status, orders in minus orders out, or orders in it (absent: none). */
export type StatusNet = Partial<Record<OrderStatus, number>>;

/** Adds to `net` what one order placed (`from` absent: into PENDING) or one transition did. */
export function addToStatusNet(net: StatusNet, to: OrderStatus, from?: OrderStatus): void {
  if (from === to) return;
  if (from) net[from] = (net[from] ?? 0) - 1;
  net[to] = (net[to] ?? 0) + 1;
}

export const OrderHourModel = getModelForClass(OrderHourRecord);

/** Data migrations of the orders database that ran to the end, by name. */
@modelOptions({ schemaOptions: { collection: 'order_migrations', versionKey: false } })
export class OrderMigrationRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => Date })
  doneAt!: Date;
}

export const OrderMigrationModel = getModelForClass(OrderMigrationRecord);

/**
 * A change of an order's status that no claim of the hour it was made in records: a claim applied
 * in a later hour than it was inserted (its writer stalled, or another writer rolled it forward).
 * Its order's hour is counted again like a claim's (order-status-hours.ts). `_id`: the claim's.
 */
@index({ createdHour: 1 })
@modelOptions({ schemaOptions: { collection: 'order_hour_touches', versionKey: false } })
export class OrderHourTouchRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  /** The hour the order was placed in. */
  @prop({ required: true, type: () => Number })
  orderHour!: number;

  /** The hour the change was made in. */
  @prop({ required: true, type: () => Number })
  createdHour!: number;
}

export const OrderHourTouchModel = getModelForClass(OrderHourTouchRecord);

/**
 * How far the hours' `inStatus` is counted (`_id`: 'inStatus'): every order that moved on in a
 * closed hour up to `hour` had its hour counted again afterwards.
 */
@modelOptions({ schemaOptions: { collection: 'order_hour_watermarks', versionKey: false } })
export class OrderHourWatermarkRecord {
  @prop({ required: true, type: () => String })
  _id!: string;

  @prop({ required: true, type: () => Number })
  hour!: number;
}

export const OrderHourWatermarkModel = getModelForClass(OrderHourWatermarkRecord);
