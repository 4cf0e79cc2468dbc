import { Counter } from 'prom-client';

/** Reservations given back by the expiry job because no order confirmed them in time (should stay rare). */
export const stockReservationsExpired = new Counter({
  name: 'stock_reservations_expired_total',
  help: 'Stock reservations released because no order confirmed them within STOCK_RESERVATION_TTL',
});
