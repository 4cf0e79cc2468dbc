import { deleteConsumerTopology, EventBus, type RetryPolicy, withChannel } from '@shop/events';
import { waitForConsumers } from '@shop/events/testing';
import { OutboxRelay } from '@shop/platform/mongo';
import { silentLogger } from '@shop/platform/testing';
import type { ContactDirectory } from './contact/contact.directory.js';
import { DeliveryService } from './delivery/delivery.service.js';
import { SmtpEmailTransport } from './delivery/email.transport.js';
import type { SmsProvider } from './delivery/sms.provider.js';
import { type NotificationsQueues, subscribeToDeliveries, subscribeToEvents } from './events.js';
import { NotificationService } from './notification/notification.service.js';

/** Test helpers: the notifications service's consumers and relay, wired as main.ts wires them. */

export async function deleteTopology(url: string, exchange: string, queues: string[], retrySteps: number) {
  await withChannel(url, async (channel) => {
    for (const queue of queues) await deleteConsumerTopology(channel, queue, retrySteps);
    await channel.deleteExchange(exchange);
  });
}

export interface PipelineOptions {
  url: string;
  exchange: string;
  queues: NotificationsQueues;
  contacts: ContactDirectory;
  smtpUrl: string;
  sms: SmsProvider;
  retry: Partial<RetryPolicy>;
}

export interface Pipeline {
  bus: EventBus;
  relay: OutboxRelay;
  close: () => Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { url, exchange, queues, retry } = options;
  const bus = new EventBus({ url, exchange, log: silentLogger, connectionName: 'notifications-test', retry });
  // Nothing to sweep: the decider publishes its send requests itself (publishNow).
  const relay = new OutboxRelay([], bus, silentLogger, 100);
  const transport = new SmtpEmailTransport(options.smtpUrl, 'Shop <no-reply@shop.test>');
  await subscribeToEvents(bus, new NotificationService(options.contacts, relay), queues.events);
  await subscribeToDeliveries(bus, new DeliveryService(transport, options.sms), queues);
  await waitForConsumers(url, Object.values(queues));
  return {
    bus,
    relay,
    close: async () => {
      await relay.stop();
      await bus.close();
      transport.close();
    },
  };
}
