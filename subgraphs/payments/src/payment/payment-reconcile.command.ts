import { type Config, createLogger } from '@shop/platform/core';
import { connectMongo } from '@shop/platform/mongo';
import { type OperatorCommand, UsageError } from '@shop/platform/ops';
import type { paymentsConfig } from '../config.js';
import { OrdersClient } from '../order/order.client.js';
import { createPaymentProvider } from '../provider.js';
import { PaymentService } from './payment.service.js';

/**
 * `reconcile`: one reconciliation pass by hand, as each replica's job runs it. Settlements are
 * written with their events into the payments outbox, which a running payments process's relay
 * publishes. Exit code 1 when a payment past the grace could not be settled (left for a later pass).
 */
export function reconcileCommand(config: Config<typeof paymentsConfig>): OperatorCommand {
  return {
    usage: '',
    run: async (args, print) => {
      if (args.length > 0) throw new UsageError();
      // Its logs on stderr: stdout is the operator's answer.
      const log = createLogger('payments-reconcile', config, process.stderr);
      const mongo = await connectMongo(config, 'payments', log);
      try {
        const payments = new PaymentService(
          new OrdersClient(config.ORDERS_URL),
          createPaymentProvider(config),
          { kick: () => {} },
          { reconcileGraceMs: config.PAYMENT_RECONCILE_GRACE, failuresPerOrder: config.PAYMENT_FAILURES_PER_ORDER },
        );
        const result = await payments.reconcile({ requestId: 'manual-reconcile', log });
        for (const { paymentId, orderId, status } of result.settled) {
          print(`${paymentId}  order ${orderId}  PENDING → ${status}`);
        }
        print(
          `reconciled ${result.settled.length} payment(s) pending longer than ${config.PAYMENT_RECONCILE_GRACE} ms; ${result.failed} left for the next pass`,
        );
        return result.failed > 0 ? 1 : 0;
      } finally {
        await mongo.close();
      }
    },
  };
}
