import { randomUUID } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AMQP_URL as AMQP_URL } from './test-broker.js';
import {
  assertConsumerQueues,
  DELIVERY_LIMIT,
  deadLetterQueueName,
  deleteConsumerTopology,
  movesExchangeName,
  ROUTES,
  retryQueueName,
  workQueueName,
} from './topology.js';

describe('consumer queue names', () => {
  it('start with the consumer name, so they fall under its service permissions', () => {
    const queue = 'orders.payments';
    expect(movesExchangeName(queue)).toBe('orders.payments.moves');
    expect(workQueueName(queue)).toBe('orders.payments.v2');
    expect(retryQueueName(queue, 3)).toBe('orders.payments.v2.retry.3');
    expect(deadLetterQueueName(queue)).toBe('orders.payments.dlq');
    expect(ROUTES.retry(3)).toBe('retry.3');
  });
});

// The declarations on the real broker: what each queue does with a message it does not keep.
describe('assertConsumerQueues', () => {
  const queue = `test.topology.${randomUUID().slice(0, 8)}`;
  const steps = 2;
  let connection: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    connection = await amqplib.connect(AMQP_URL);
    channel = await connection.createChannel();
    await assertConsumerQueues(channel, queue, steps);
  });

  afterAll(async () => {
    await deleteConsumerTopology(channel, queue, steps);
    await connection.close();
  });

  const nextMessage = async (name: string) => {
    for (;;) {
      const message = await channel.get(name, { noAck: true });
      if (message) return message;
      // A dead-lettered message arrives asynchronously; poll the broker until it does.
      await new Promise((done) => setTimeout(done, 20));
    }
  };

  /** Runs `check` on a channel of its own: a failed declaration closes the channel it ran on. */
  const onOwnChannel = async <T>(check: (own: Channel) => Promise<T>): Promise<T> => {
    const own = await connection.createChannel();
    own.on('error', () => {});
    return check(own);
  };

  it('declares the work queue, the dead-letter queue and one delay queue per retry step', async () => {
    const names = [
      workQueueName(queue),
      deadLetterQueueName(queue),
      retryQueueName(queue, 1),
      retryQueueName(queue, 2),
    ];
    for (const name of names) await expect(channel.checkQueue(name)).resolves.toMatchObject({ queue: name });
    await expect(onOwnChannel((own) => own.checkQueue(retryQueueName(queue, steps + 1)))).rejects.toThrow(/NOT_FOUND/);
  });

  it('is idempotent: declaring again with the same arguments succeeds', async () => {
    await expect(assertConsumerQueues(channel, queue, steps)).resolves.toBeUndefined();
  });

  it('declares the work queue as a quorum queue with the delivery limit', async () => {
    const declared = (limit: number) =>
      onOwnChannel((own) =>
        own.assertQueue(workQueueName(queue), {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-dead-letter-exchange': movesExchangeName(queue),
            'x-dead-letter-routing-key': ROUTES.dlq,
            'x-delivery-limit': limit,
          },
        }),
      );
    await expect(declared(DELIVERY_LIMIT)).resolves.toMatchObject({ queue: workQueueName(queue) });
    await expect(declared(DELIVERY_LIMIT + 1)).rejects.toThrow(/PRECONDITION_FAILED/);
  });

  it('routes work, retry and dlq through the moves exchange, and an expired retry back to work', async () => {
    const exchange = movesExchangeName(queue);
    channel.publish(exchange, ROUTES.work, Buffer.from('to work'));
    expect((await nextMessage(workQueueName(queue))).content.toString()).toBe('to work');
    channel.publish(exchange, ROUTES.dlq, Buffer.from('to dlq'));
    expect((await nextMessage(deadLetterQueueName(queue))).content.toString()).toBe('to dlq');
    channel.publish(exchange, ROUTES.retry(2), Buffer.from('retried'), { expiration: '10' });
    expect((await nextMessage(workQueueName(queue))).content.toString()).toBe('retried');
  });

  it('parks a message rejected from the work queue in the dead-letter queue', async () => {
    channel.publish(movesExchangeName(queue), ROUTES.work, Buffer.from('rejected'));
    let delivered: GetMessage | false = false;
    while (!delivered) delivered = await channel.get(workQueueName(queue), { noAck: false });
    channel.reject(delivered, false);
    expect((await nextMessage(deadLetterQueueName(queue))).content.toString()).toBe('rejected');
  });
});
