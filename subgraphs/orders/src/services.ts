import type { OrderService } from './order/order.service.js';

export interface OrdersServices {
  orders: OrderService;
}
