import { getModelForClass, modelOptions, prop, Severity } from '@typegoose/typegoose';
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
}

/** Per status, orders in minus orders out (absent: none either way). */
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
