import { type Logger, PeriodicJob } from '@shop/platform/core';
import type { OrderHourRegistry } from './order-hour.registry.js';

/** Often enough that the next hour is registered long before it starts, a failed pass or two included. */
const REGISTER_EVERY_MS = 10 * 60_000;

/**
 * Registers the current and the next hour as listing hours on the shared periodic schedule, in
 * every replica (a pass on start, then every ten minutes), so an order's insert never waits for it.
 */
export class OrderHoursJob extends PeriodicJob {
  constructor(hours: OrderHourRegistry, log: Logger) {
    super({ name: 'order hours', intervalMs: REGISTER_EVERY_MS, log, pass: (now) => hours.ensure(now) });
  }
}
