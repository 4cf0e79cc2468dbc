// A subgraph whose MongoDB-wire server stops answering, or goes down, answers SERVICE_UNAVAILABLE
// (retry shortly) within its bounds instead of holding the request for as long as the server is
// silent, and serves again once the server is back. The real server, behind a TCP relay that can
// hold or cut what passes.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { deleteConsumerTopology, EventBus, orderCreated, type SettledDelivery, withChannel } from '@shop/events';
import { waitForConsumers } from '@shop/events/testing';
import mongoose from 'mongoose';
import { Int, Query, Resolver } from 'type-graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dependencyOutage } from './errors.js';
import { connectMongo, type MongoHandle } from './mongo.js';
import {
  createTestTokens,
  eventually,
  recordingLogger,
  relayTo,
  serveTestSubgraph,
  silentLogger,
  type TcpRelay,
  TEST_AMQP_URL,
  type TestSubgraph,
} from './testing.js';
import { createTokenVersionCheck } from './token-versions.js';

const ProbeModel = mongoose.model('UnavailableProbe', new mongoose.Schema({ n: Number }));

@Resolver()
class ProbeResolver {
  @Query(() => Int)
  probes(): Promise<number> {
    return ProbeModel.countDocuments().exec();
  }
}

const POOL_WAIT_MS = 300;
const PROBES = '{ probes }';
type Answer = { data?: { probes: number } | null; errors?: { message: string; extensions: Record<string, unknown> }[] };

const { log, lines } = recordingLogger('error');
const tokens = createTestTokens();
let relay: TcpRelay;
let mongo: MongoHandle;
let server: TestSubgraph;

beforeAll(async () => {
  const relayed = await relayTo(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017', 27017);
  relay = relayed.relay;
  mongo = await connectMongo(
    {
      MONGO_URL: relayed.url.toString(),
      MONGO_DB_PREFIX: `test_${randomUUID().slice(0, 8)}`,
      // One connection: a second request queues for it while the first waits on a silent server.
      MONGO_MAX_POOL_SIZE: 1,
      DB_POOL_WAIT_TIMEOUT: POOL_WAIT_MS,
    },
    'unavailable',
    log,
  );
  await ProbeModel.create({ n: 1 });
  server = await serveTestSubgraph({ name: 'unavailable-probe', resolvers: [ProbeResolver] }, {}, tokens, {
    log,
    databaseUnavailable: mongo.unavailable,
    // As the users subgraph checks a direct caller's token: against its own database.
    revocation: createTokenVersionCheck({
      load: async (ids) => {
        await ProbeModel.countDocuments().exec();
        return new Map(ids.map((id) => [id, 0]));
      },
      cacheMs: 0,
    }),
  });
});

// A failed test leaves the server answering for the next.
afterEach(() => relay.resume());

afterAll(async () => {
  relay?.resume();
  await server?.close();
  await mongoose.connection.dropDatabase().catch(() => undefined);
  await mongo?.close();
  await relay?.close();
});

const expectBusy = (answer: Answer) => {
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
  // The driver's words stay in the log.
  expect(answer.errors?.[0]?.message).not.toMatch(/mongo|timed out|connection/i);
};

/** Resolves once the client has sent a command (the request holds the pool's one connection). */
const commandSent = () =>
  new Promise<void>((sent) => mongoose.connection.getClient().once('commandStarted', () => sent()));

describe('a subgraph whose MongoDB-wire server does not answer', () => {
  // The in-flight request waits for the driver's next heartbeat (every 10 s), which fails after
  // 10 s more and interrupts the commands on the silent server; its one retry then finds no server
  // to select (5 s).
  it('answers a request queued for a connection SERVICE_UNAVAILABLE after DB_POOL_WAIT_TIMEOUT, and the one in flight once the heartbeat finds the server silent', {
    timeout: 45_000,
  }, async () => {
    expect((await server.query<Answer>(PROBES)).data?.probes).toBe(1);
    relay.stall();
    const answered: string[] = [];
    const sent = commandSent();
    const inFlight = server.query<Answer>(PROBES).then((answer) => {
      answered.push('in flight');
      return answer;
    });
    await sent;
    const queued = server.query<Answer>(PROBES).then((answer) => {
      answered.push('queued');
      return answer;
    });
    // The queued request did not wait for the silent command: it gave up on the pool first, alone.
    await eventually(() => answered.length > 0, 20_000, 'a first answer');
    expect(answered).toEqual(['queued']);
    expectBusy(await queued);
    expectBusy(await inFlight);
    expect(lines.filter((line) => line.msg === 'internal error').length).toBeGreaterThanOrEqual(2);
  });

  it('serves again once the server answers', async () => {
    relay.resume();
    const answer = await eventually(async () => (await server.query<Answer>(PROBES)).data, 15_000, 'answers again');
    expect(answer.probes).toBe(1);
  });

  it('answers SERVICE_UNAVAILABLE while the server is down, with 503 when the token check could not read it', async () => {
    relay.refuse();
    expectBusy(await server.query<Answer>(PROBES));
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await tokens.sign({ id: 'customer-1', role: 'CUSTOMER' })}`,
      },
      body: JSON.stringify({ query: PROBES }),
    });
    expect([response.status, response.headers.get('retry-after')]).toEqual([503, '1']);
    expectBusy((await response.json()) as Answer);
    relay.resume();
    expect((await eventually(async () => (await server.query<Answer>(PROBES)).data, 15_000, 'up again')).probes).toBe(
      1,
    );
  });
});

describe('an event consumer whose MongoDB-wire server is down', () => {
  it('waits the outage out past its attempts, and applies the event once the server is back', {
    timeout: 90_000,
  }, async () => {
    const run = randomUUID().slice(0, 8);
    const exchange = `test.unavailable.${run}`;
    const queue = `test.unavailable.${run}.consumer`;
    // Two attempts: without the outage check, the second failure would park the event.
    const retry = { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 500, outagePatienceMs: 120_000 };
    const outage = dependencyOutage(mongo.unavailable);
    const bus = new EventBus({ url: TEST_AMQP_URL, exchange, log: silentLogger, connectionName: run, retry, outage });
    const outcomes: SettledDelivery['outcome'][] = [];
    const failures: unknown[] = [];
    bus.onSettled((delivery) => outcomes.push(delivery.outcome));
    try {
      await bus.subscribe({
        queue,
        events: [orderCreated],
        handler: async () => {
          try {
            await ProbeModel.create({ n: 2 });
          } catch (error) {
            failures.push(error);
            throw error;
          }
        },
      });
      await waitForConsumers(TEST_AMQP_URL, [queue]);
      relay.refuse();
      await bus.publish(orderCreated.create({ orderId: run, userId: 'u1', totalAmount: '1.00', items: [] }));
      await eventually(() => outcomes.length >= 3 || outcomes.includes('parked'), 60_000, 'three failed runs');
      expect(outcomes.slice(0, 3)).toEqual(['retried', 'retried', 'retried']);
      // Each one the driver's own word that the server did not answer.
      expect(failures.slice(0, 3).map(outage)).toEqual([true, true, true]);
      relay.resume();
      await eventually(() => outcomes.includes('handled'), 30_000, 'applied after the outage');
      expect(outcomes).not.toContain('parked');
      expect(await ProbeModel.countDocuments({ n: 2 })).toBe(1);
    } finally {
      await bus.close();
      await withChannel(TEST_AMQP_URL, async (channel) => {
        await deleteConsumerTopology(channel, queue, retry.maxAttempts - 1);
        await channel.deleteExchange(exchange);
      });
    }
  });
});
