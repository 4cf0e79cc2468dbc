// The documents one past order left in every service's database, as the services write them:
// the order with its final state, its transition claims (each carrying its order.updated event),
// its payments and the notifications its events caused (with their delivery state); the payment
// events the order applied are recorded in the order (appliedEventIds). Field names, ids and values follow the services' code
// (order.service.ts, payment.service.ts, notification.service.ts, delivery.service.ts); the
// seeder casts each through the service's own model before inserting it.
import { createHash, randomUUID } from 'node:crypto';
import {
  orderCreated,
  orderStatusSchema,
  orderUpdated,
  paymentFailed,
  paymentStatusSchema,
  paymentSucceeded,
} from '@shop/events';
import { formatCents } from '@shop/platform/core';
import { Types } from 'mongoose';
import { demoProduct } from '../scripts/seed.js';
import { ADDRESS } from './fixtures.js';

/** A customer of the history: the users subgraph's document. */
export interface HistoricUser {
  _id: Types.ObjectId;
  email: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  phone?: string;
  role: 'CUSTOMER';
  tokenVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

type Doc = Record<string, unknown>;

/** Everything order `index` left behind, by service database and collection. */
export interface OrderTrace {
  orders: { orders: Doc[]; order_transitions: Doc[] };
  payments: { payments: Doc[] };
  notifications: { notifications: Doc[] };
}

export interface HistoryPlan {
  /** How many orders the history holds; order `index` is placed at an even step through a year. */
  orders: number;
  /** Products 0 … products−1 of `pnpm seed`'s catalogue (stable ids), as the bench stack seeds them. */
  products: number;
  users: HistoricUser[];
  /** Every timestamp of the history lies before this instant. */
  until: Date;
}

const OrderStatus = orderStatusSchema.enum;
const PaymentStatus = paymentStatusSchema.enum;
type OrderStatus = keyof typeof OrderStatus;
type PaymentStatus = keyof typeof PaymentStatus;
const YEAR_MS = 365 * 86_400_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const FIRST_NAMES = ['Ana', 'Bruno', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jun'];
const LAST_NAMES = ['Silva', 'Okafor', 'Nguyen', 'Müller', 'García', 'Kowalski', 'Haddad', 'Smith', 'Tanaka'];

/** Customer `index`; a third of them have a phone, so their SMS are sent rather than skipped. */
export function historicUser(index: number, passwordHash: string, until: Date): HistoricUser {
  const createdAt = new Date(until.getTime() - YEAR_MS - DAY_MS + (index % 1_000) * 60_000);
  return {
    _id: new Types.ObjectId(),
    email: `customer-${index}@history.bench.example`,
    passwordHash,
    firstName: FIRST_NAMES[index % FIRST_NAMES.length] ?? 'Ana',
    lastName: LAST_NAMES[index % LAST_NAMES.length] ?? 'Silva',
    ...(index % 3 === 0 ? { phone: `+1415${String(5_000_000 + index).slice(-7)}` } : {}),
    role: 'CUSTOMER',
    tokenVersion: 0,
    createdAt,
    updatedAt: createdAt,
  };
}

const at = (date: Date) => date.toISOString();
const fingerprint = (orderId: string, paymentMethod: string) =>
  createHash('sha256')
    .update(JSON.stringify([orderId, paymentMethod]))
    .digest('hex');

/** An event as the service's outbox stored it, dated when it happened. */
function dated<E extends { occurredAt: string }>(event: E, when: Date): E {
  return { ...event, occurredAt: at(when) };
}

/**
 * Order `index`: one to three products; 85 % paid at the first try, 5 % after a declined card,
 * 10 % never paid and cancelled by the payment timeout. Paid orders older than a day have shipped,
 * older than three days arrived.
 */
export function orderTrace(index: number, plan: HistoryPlan): OrderTrace {
  const user = plan.users[index % plan.users.length];
  if (!user) throw new Error('a history needs users');
  const userId = user._id.toHexString();
  const until = plan.until.getTime();
  const placedAt = new Date(until - YEAR_MS + Math.floor((index * (YEAR_MS - HOUR_MS)) / plan.orders));
  const orderId = randomUUID();
  const items = Array.from({ length: 1 + (index % 3) }, (_, k) => {
    const product = demoProduct((index * 7 + k * 131) % plan.products);
    const [units, cents = '00'] = product.price.split('.');
    return { productId: product.id, quantity: 1 + ((index + k) % 2), priceCents: Number(units) * 100 + Number(cents) };
  });
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.priceCents, 0);
  const trace: OrderTrace = {
    orders: { orders: [], order_transitions: [] },
    payments: { payments: [] },
    notifications: { notifications: [] },
  };
  // The payment events the order applied, recorded in the order itself (OrderRecord.appliedEventIds).
  const applied: string[] = [];
  const notify = (
    event: { id: string; type: string },
    template: string,
    channel: 'EMAIL' | 'SMS',
    message: { subject?: string; body: string },
    when: Date,
  ) => {
    const id = `${event.id}:${template}`;
    const to = channel === 'EMAIL' ? user.email : user.phone;
    const sentAt = new Date(when.getTime() + 2_000);
    trace.notifications.notifications.push({
      _id: id,
      eventId: event.id,
      eventType: event.type,
      template,
      userId,
      channel,
      ...(to ? { to } : {}),
      ...message,
      orderId,
      ...(to
        ? {
            status: 'SENT',
            attempts: 1,
            sentAt,
            providerMessageId: channel === 'EMAIL' ? `<${id}@shop.notifications>` : `log-${id}`,
          }
        : { status: 'SKIPPED', attempts: 0, lastError: 'no address on file for this channel' }),
      pendingEvents: [],
      createdAt: when,
      updatedAt: to ? sentAt : when,
    });
  };

  const created = dated(
    orderCreated.create({
      orderId,
      userId,
      items: items.map((item) => ({
        productId: item.productId,
        quantity: item.quantity,
        price: formatCents(item.priceCents),
      })),
      totalAmount: formatCents(totalCents),
    }),
    placedAt,
  );
  const lines = items.map((item) => `${item.quantity} x ${item.productId} at ${formatCents(item.priceCents)}`);
  notify(
    created,
    'order-confirmation',
    'EMAIL',
    {
      subject: `Order confirmation ${orderId}`,
      body: `Thank you for your order ${orderId}.\n${lines.join('\n')}\nTotal: ${formatCents(totalCents)}.`,
    },
    placedAt,
  );

  let state = { status: OrderStatus.PENDING, paymentStatus: PaymentStatus.PENDING } as {
    status: OrderStatus;
    paymentStatus: PaymentStatus;
    paymentId?: string;
  };
  let lastChange = placedAt;
  const transition = (to: typeof state, when: Date) => {
    const event = dated(
      orderUpdated.create({
        orderId,
        userId,
        previousStatus: state.status,
        status: to.status,
        paymentStatus: to.paymentStatus,
      }),
      when,
    );
    const from = { status: state.status, paymentStatus: state.paymentStatus };
    trace.orders.order_transitions.push({
      _id: `${orderId}:${from.status}:${from.paymentStatus}`,
      orderId,
      from,
      to,
      event,
      createdAt: when,
      createdHour: Math.floor(when.getTime() / HOUR_MS),
    });
    state = to;
    lastChange = when;
    return event;
  };
  const pay = (succeeds: boolean, when: Date) => {
    const paymentId = new Types.ObjectId();
    const transactionId = `sim_${randomUUID()}`;
    const amount = formatCents(totalCents);
    const common = { paymentId: paymentId.toHexString(), orderId, userId, amount };
    const event = dated(
      succeeds
        ? paymentSucceeded.create({ ...common, transactionId })
        : paymentFailed.create({ ...common, failureReason: 'card_declined' }),
      when,
    );
    trace.payments.payments.push({
      _id: paymentId,
      userId,
      orderId,
      amountCents: totalCents,
      paymentMethod: 'card',
      status: succeeds ? 'SUCCEEDED' : 'FAILED',
      ...(succeeds ? { transactionId } : { failureReason: 'card_declined' }),
      idempotencyKey: `checkout-${orderId}-${trace.payments.payments.length + 1}`,
      requestFingerprint: fingerprint(orderId, 'card'),
      orderSlot: succeeds ? orderId : `failed:${paymentId.toHexString()}`,
      pendingEvents: [],
      createdAt: new Date(when.getTime() - 1_000),
      updatedAt: when,
    });
    applied.push(event.id);
    if (succeeds) {
      notify(
        event,
        'payment-receipt',
        'EMAIL',
        {
          subject: `Payment receipt for order ${orderId}`,
          body: `We received your payment of ${amount} for order ${orderId}. Transaction: ${transactionId}.`,
        },
        when,
      );
      notify(
        event,
        'payment-receipt-sms',
        'SMS',
        { body: `Shop: payment of ${amount} for order ${orderId} received.` },
        when,
      );
      transition(
        { status: OrderStatus.PAID, paymentStatus: PaymentStatus.SUCCEEDED, paymentId: common.paymentId },
        when,
      );
    } else {
      notify(
        event,
        'payment-failure',
        'EMAIL',
        {
          subject: `Payment failed for order ${orderId}`,
          body: `Your payment of ${amount} for order ${orderId} failed (card_declined). While the order awaits payment, you can try again.`,
        },
        when,
      );
      transition({ status: OrderStatus.PENDING, paymentStatus: PaymentStatus.FAILED }, when);
    }
  };

  const after = (ms: number) => new Date(placedAt.getTime() + ms);
  const kind = index % 20;
  if (kind === 0 || kind === 10) {
    transition({ ...state, status: OrderStatus.CANCELLED }, after(30 * 60_000));
  } else {
    if (kind === 5) pay(false, after(60_000));
    pay(true, after(120_000));
    const age = until - placedAt.getTime();
    if (age > DAY_MS) {
      const shipped = transition({ ...state, status: OrderStatus.SHIPPED }, after(DAY_MS));
      notify(shipped, 'order-shipped', 'SMS', { body: `Shop: your order ${orderId} has shipped.` }, after(DAY_MS));
    }
    if (age > 3 * DAY_MS) transition({ ...state, status: OrderStatus.DELIVERED }, after(3 * DAY_MS));
  }
  trace.orders.orders.push({
    _id: orderId,
    userId,
    items,
    status: state.status,
    paymentStatus: state.paymentStatus,
    totalCents,
    shippingAddress: ADDRESS,
    ...(state.paymentId ? { paymentId: state.paymentId } : {}),
    stockConfirmed: true,
    ...(state.status === OrderStatus.CANCELLED ? { stockReleased: true } : {}),
    pendingEvents: [],
    ...(applied.length > 0 ? { appliedEventIds: applied } : {}),
    createdAt: placedAt,
    updatedAt: lastChange,
  });
  return trace;
}
