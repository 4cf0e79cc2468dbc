import { orderCreated, orderUpdated, paymentFailed, paymentSucceeded } from '@shop/events';
import { describe, expect, it } from 'vitest';
import { draftsFor } from './notification.templates.js';

const base = { orderId: 'o-1', userId: 'u-1' };
const summary = (drafts: ReturnType<typeof draftsFor>) =>
  drafts.map(({ template, channel, subject, body }) => ({ template, channel, subject, body }));

describe('who gets what', () => {
  it('confirms a new order by email, with its lines and total', () => {
    const event = orderCreated.create({
      ...base,
      totalAmount: '39.98',
      items: [{ productId: 'p-book', quantity: 2, price: '19.99' }],
    });
    expect(summary(draftsFor(event))).toEqual([
      {
        template: 'order-confirmation',
        channel: 'EMAIL',
        subject: 'Order confirmation o-1',
        body: 'Thank you for your order o-1.\n2 x p-book at 19.99\nTotal: 39.98.',
      },
    ]);
  });

  it('sends a payment receipt by email and SMS', () => {
    const event = paymentSucceeded.create({ ...base, paymentId: 'pay-1', amount: '19.99', transactionId: 'tx-9' });
    expect(summary(draftsFor(event))).toEqual([
      {
        template: 'payment-receipt',
        channel: 'EMAIL',
        subject: 'Payment receipt for order o-1',
        body: 'We received your payment of 19.99 for order o-1. Transaction: tx-9.',
      },
      {
        template: 'payment-receipt-sms',
        channel: 'SMS',
        subject: undefined,
        body: 'Shop: payment of 19.99 for order o-1 received.',
      },
    ]);
  });

  it('tells a failed payment by email', () => {
    const event = paymentFailed.create({
      ...base,
      paymentId: 'pay-2',
      amount: '19.99',
      failureReason: 'card_declined',
    });
    expect(summary(draftsFor(event))).toEqual([
      {
        template: 'payment-failure',
        channel: 'EMAIL',
        subject: 'Payment failed for order o-1',
        body: 'Your payment of 19.99 for order o-1 failed (card_declined). While the order awaits payment, you can try again.',
      },
    ]);
  });

  it('texts a shipped order, and stays quiet about other status changes', () => {
    const update = (previousStatus: 'PENDING' | 'PAID' | 'SHIPPED', status: 'PAID' | 'SHIPPED' | 'DELIVERED') =>
      orderUpdated.create({ ...base, previousStatus, status, paymentStatus: 'SUCCEEDED' });
    expect(summary(draftsFor(update('PAID', 'SHIPPED')))).toEqual([
      { template: 'order-shipped', channel: 'SMS', subject: undefined, body: 'Shop: your order o-1 has shipped.' },
    ]);
    expect(draftsFor(update('PENDING', 'PAID'))).toEqual([]);
    expect(draftsFor(update('SHIPPED', 'DELIVERED'))).toEqual([]);
  });

  it('emails a cancellation of an unpaid order once, and a refund when a payment went through after it', () => {
    const update = (previousStatus: 'PENDING' | 'CANCELLED', paymentStatus: 'PENDING' | 'FAILED' | 'REFUNDED') =>
      orderUpdated.create({ ...base, previousStatus, status: 'CANCELLED', paymentStatus });
    const cancellation = {
      template: 'order-cancellation',
      channel: 'EMAIL',
      subject: 'Order o-1 cancelled',
      body: 'Your order o-1 was cancelled, and its items are no longer reserved for you. Any payment for it is refunded to your payment method.',
    };
    expect(summary(draftsFor(update('PENDING', 'PENDING')))).toEqual([cancellation]);
    expect(summary(draftsFor(update('PENDING', 'FAILED')))).toEqual([cancellation]);
    expect(summary(draftsFor(update('CANCELLED', 'REFUNDED')))).toEqual([
      {
        template: 'payment-refund',
        channel: 'EMAIL',
        subject: 'Refund for order o-1',
        body: 'Your order o-1 was cancelled before your payment for it went through. The payment is refunded to your payment method.',
      },
    ]);
  });
});
