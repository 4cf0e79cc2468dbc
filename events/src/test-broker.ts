import { withChannel } from './broker-channel.js';
import { workQueueName } from './topology.js';

/** The test broker: the `shop_test` vhost, or TEST_AMQP_URL (a vhost of one's own beside another run). */
export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/shop_test';
export { type PrivateBroker, startPrivateBroker } from './private.test-broker.js';

/**
 * subscribe() may resolve before the broker has a consumer's queues bound: a consumer on each work
 * queue means its set-up is done. Throws after `timeoutMs`.
 */
export async function waitForConsumers(url: string, queues: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const queue of queues) {
    // checkQueue closes the channel while the queue does not exist yet, hence a channel per try.
    const consuming = () =>
      withChannel(url, async (channel) => (await channel.checkQueue(workQueueName(queue))).consumerCount > 0).catch(
        () => false,
      );
    while (!(await consuming())) {
      if (Date.now() > deadline) throw new Error(`no consumer on ${workQueueName(queue)} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
export { type FailingConsumer, startFailingConsumer } from './failing-consumer.test-fixture.js';
