import type { RequestContext } from '@shop/platform/subgraph';
import type { PaymentsServices } from '../services.js';
import type { Payment } from './payment.type.js';

/** Other subgraphs' `Payment` references resolve under the same owner-or-admin rule. */
export const paymentReference = {
  __resolveReference: (reference: { id: string }, ctx: RequestContext<PaymentsServices>): Promise<Payment> =>
    ctx.services.payments.findById(ctx, reference.id),
};
