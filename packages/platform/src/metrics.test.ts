import { randomUUID } from 'node:crypto';
import { deleteConsumerTopology, EventBus, orderCreated } from '@shop/events';
import amqplib from 'amqplib';
import { Arg, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenService } from './auth.js';
import { NotFoundError } from './errors.js';
import { OutboxRelay } from './outbox.js';
import { testAggregateModel } from './outbox.test-aggregate.js';
import {
  TEST_AMQP_URL as AMQP_URL,
  connectTestMongo,
  metricValue,
  serveTestSubgraph,
  silentLogger,
  type TestSubgraph,
} from './testing.js';

@ObjectType()
class Greeting {
  @Field(() => String)
  text!: string;
}

@Resolver(() => Greeting)
class GreetingResolver {
  @Query(() => Greeting)
  greeting(@Arg('name', () => String) name: string): Greeting {
    if (name === 'nobody') throw new NotFoundError('Person', name);
    return { text: `hello ${name}` };
  }
}

const AggregateModel = testAggregateModel('metrics_aggregates');

let server: TestSubgraph;
let base: string;
let db: { drop: () => Promise<void> };

const scrape = async () => {
  const response = await fetch(`${base}/metrics`);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
};
const graphql = (query: string, path = '/graphql') =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });

beforeAll(async () => {
  db = await connectTestMongo('metrics');
  const tokens = createTokenService({
    JWT_SECRET: ['x'.repeat(40)],
    JWT_ISSUER: 'shop',
    JWT_AUDIENCE: 'shop-api',
    JWT_TTL_SECONDS: 60,
  });
  server = await serveTestSubgraph({ name: 'metrics-probe', resolvers: [GreetingResolver] }, {}, tokens);
  base = new URL(server.url).origin;
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('/metrics of a subgraph', () => {
  it('times HTTP requests and GraphQL operations by name, and counts errors by code', async () => {
    const before = await scrape();
    expect(metricValue(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    const hello = await graphql('query Hello { greeting(name: "ann") { text } }');
    expect(hello.status).toBe(200);
    await graphql('query Missing { greeting(name: "nobody") { text } }');
    // Express matches a path whatever its case: the label is the route's, so casings add no series.
    await graphql('query Missing { greeting(name: "nobody") { text } }', '/GraphQL');
    const after = await scrape();
    expect(after).not.toContain('route="/GraphQL"');

    const httpCount = { method: 'POST', route: '/graphql', status: '200' };
    expect(
      metricValue(after, 'http_request_duration_seconds_count', httpCount) -
        metricValue(before, 'http_request_duration_seconds_count', httpCount),
    ).toBe(3);
    expect(metricValue(after, 'graphql_operation_duration_seconds_count', { operation: 'Hello', type: 'query' })).toBe(
      1,
    );
    expect(metricValue(after, 'graphql_operation_duration_seconds_count', { operation: 'Missing' })).toBe(2);
    expect(metricValue(after, 'graphql_errors_total', { operation: 'Missing', code: 'NOT_FOUND' })).toBe(2);
    expect(metricValue(after, 'graphql_errors_total', { operation: 'Hello' })).toBe(0);
    // Each series carries the process's service name.
    expect(after).toContain('service="metrics-probe"');
  });

  it('counts events published, consumed, retried and dead-lettered, and the outbox backlog', async () => {
    const exchange = `test.metrics.${randomUUID().slice(0, 8)}`;
    const queue = `test.metrics.consumer.${randomUUID().slice(0, 8)}`;
    const bus = new EventBus({
      url: AMQP_URL,
      exchange,
      log: silentLogger,
      connectionName: 'metrics-test',
      retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 50 },
    });
    // order "flaky" fails once then succeeds; order "poison" always fails.
    const failures = new Map<string, number>();
    await bus.subscribe({
      queue,
      events: [orderCreated],
      handler: async (event) => {
        const { orderId } = event.data as { orderId: string };
        const count = (failures.get(orderId) ?? 0) + 1;
        failures.set(orderId, count);
        if (orderId === 'poison' || (orderId === 'flaky' && count === 1)) throw new Error('boom');
      },
    });
    const relay = new OutboxRelay([AggregateModel], bus, silentLogger, 60_000);
    try {
      const before = await scrape();
      const labels = { queue, type: 'order.created' };
      const event = (orderId: string) => orderCreated.create({ orderId, userId: 'u', totalAmount: '1.00', items: [] });
      // The consumer's bindings are set up asynchronously: publish probes until one is routed.
      await vi.waitFor(
        async () => {
          expect((await bus.publish(event('probe'))).routed).toBe(true);
        },
        { timeout: 10_000, interval: 100 },
      );
      for (const orderId of ['ok', 'flaky', 'poison']) expect((await bus.publish(event(orderId))).routed).toBe(true);

      await vi.waitFor(
        async () => {
          const now = await scrape();
          expect(metricValue(now, 'events_consumed_total', labels)).toBe(3);
          expect(metricValue(now, 'events_retried_total', labels)).toBe(2);
          expect(metricValue(now, 'events_dead_lettered_total', { queue, reason: 'handler-failed' })).toBe(1);
        },
        { timeout: 10_000, interval: 100 },
      );
      const after = await scrape();
      const published = { type: 'order.created' };
      expect(
        metricValue(after, 'events_published_total', published) -
          metricValue(before, 'events_published_total', published),
      ).toBe(4); // the routed probe and three: unroutable publishes stay in the outbox, uncounted

      // Events no queue is bound to stay in the outbox: the backlog shows them.
      const stuck = orderCreated.create({ orderId: 'x', userId: 'u', totalAmount: '1.00', items: [] });
      await AggregateModel.create({ _id: 'a1', pendingEvents: [{ ...stuck, type: 'order.unbound' }] });
      await AggregateModel.create({
        _id: 'a2',
        pendingEvents: [{ ...stuck, id: randomUUID(), type: 'order.unbound' }],
      });
      relay.start();
      await vi.waitFor(
        async () =>
          expect(metricValue(await scrape(), 'outbox_pending_events', { collection: 'metrics_aggregates' })).toBe(2),
        { timeout: 5_000 },
      );
      await AggregateModel.updateOne({ _id: 'a1' }, { $set: { pendingEvents: [] } });
      expect(metricValue(await scrape(), 'outbox_pending_events', { collection: 'metrics_aggregates' })).toBe(1);
    } finally {
      await relay.stop();
      await bus.close();
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      await deleteConsumerTopology(channel, queue, 1);
      await channel.deleteExchange(exchange);
      await connection.close();
    }
  });
});
