import { stateGauge } from '@shop/platform/telemetry';
import { Counter } from 'prom-client';
import type { StockService } from './stock.service.js';

/** Reservations given back by the expiry job because no order confirmed them in time (should stay rare). */
export const stockReservationsExpired = new Counter({
  name: 'stock_reservations_expired_total',
  help: 'Stock reservations released because no order confirmed them within STOCK_RESERVATION_TTL',
});

/** New orders refused because their customer held UNPAID_ORDERS_PER_CUSTOMER unpaid ones: often, from one customer, hoarding. */
export const unpaidOrdersLimitRefusals = new Counter({
  name: 'stock_unpaid_orders_limit_refusals_total',
  help: 'Stock reservations refused because the customer held UNPAID_ORDERS_PER_CUSTOMER unpaid orders',
});

/** Order lines refused because their customer would hold more of a product than its purchaseLimit. */
export const purchaseLimitRefusals = new Counter({
  name: 'stock_purchase_limit_refusals_total',
  help: 'Stock reservations refused because the customer would hold more of a product than its purchaseLimit',
});

/**
 * Starts reporting reservations the expiry job should have given back and has not (unconfirmed
 * past the TTL and two passes more): should stay 0; above it, the job is stuck and that stock is
 * held for orders that do not exist.
 */
export function reportStockGauges(stock: StockService, sweepIntervalMs: number): void {
  stateGauge(
    'stock_reservations_overdue',
    'Stock reservations unconfirmed past STOCK_RESERVATION_TTL and two expiry passes, not released',
    { count: () => stock.countOverdue(new Date(Date.now() - 2 * sweepIntervalMs)) },
  );
}
