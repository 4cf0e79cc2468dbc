import { RejectedEventError } from '@shop/events';
import { NotFoundError } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { PAYMENT_REJECTIONS, paymentEventsRejected, reportOrderGauges } from './order.metrics.js';
import { rejectingUnknownOrder } from './order-payment.rules.js';

/** payment_events_rejected_total's series, by reason. */
async function rejections(): Promise<Record<string, number>> {
  const { values } = await paymentEventsRejected.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(labels.reason), value]));
}

const missingOrder = async () => {
  throw new NotFoundError('Order', 'o-gone');
};

describe('payment events orders refuses', () => {
  it('has every reason counted from 0 once orders reports, so the first rejection is an increase an alert sees', async () => {
    reportOrderGauges();
    const counted = await rejections();
    for (const reason of PAYMENT_REJECTIONS) expect(counted[reason], reason).toBe(0);
  });

  it('counts a refused payment.succeeded (money taken) by reason, and only parks a failed payment', async () => {
    const before = (await rejections())['unknown-order'] ?? 0;
    await expect(rejectingUnknownOrder('o-gone', missingOrder, { moneyTaken: false })).rejects.toThrow(
      RejectedEventError,
    );
    expect((await rejections())['unknown-order'] ?? 0).toBe(before);
    await expect(rejectingUnknownOrder('o-gone', missingOrder, { moneyTaken: true })).rejects.toThrow(
      /unknown-order: no order o-gone/,
    );
    expect((await rejections())['unknown-order']).toBe(before + 1);
  });
});
