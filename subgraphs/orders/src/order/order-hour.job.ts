import { type Logger, PeriodicJob } from '@shop/platform/core';
import { OrderStatus } from './order.type.js';
import { lastClosedHour, type OrderHourRegistry } from './order-hour.registry.js';
import { countHoursByStatus } from './order-status-hours.js';

/** Often enough that the next hour is registered long before it starts, a failed pass or two included. */
const REGISTER_EVERY_MS = 10 * 60_000;

/**
 * On the shared periodic schedule, in every replica (a pass on start, then every ten minutes):
 * registers the current and the next hour, so an order's insert never waits for it, then counts
 * all orders, and those of one status, which records each newly closed hour's figures, and counts
 * the hours' orders by status where they changed (order-status-hours.ts). So the counting of closed
 * hours, and after a backfill all of it, happens here rather than in an admin's request.
 */
export class OrderHoursJob extends PeriodicJob {
  constructor(hours: OrderHourRegistry, log: Logger) {
    super({
      name: 'order hours',
      intervalMs: REGISTER_EVERY_MS,
      log,
      pass: async (now) => {
        await hours.ensure(now);
        await hours.count(now);
        // Any status: the count records every closed hour's part for all of them.
        await hours.countWithStatus(OrderStatus.PENDING, now);
        await countHoursByStatus(hours, lastClosedHour(now));
      },
    });
  }
}
