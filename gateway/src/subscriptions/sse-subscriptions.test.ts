// The declared subscriptions over Server-Sent Events (graphql-sse's client, distinct connections
// mode) on /graphql/stream: the same authorization and payloads as over graphql-ws, events sent
// as they come (not held back by response compression), refusals and limits answered over HTTP.
import { randomUUID } from 'node:crypto';
import { EventBus, paymentFailed } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, createTestTokens, silentLogger } from '@shop/platform/testing';
import type { ExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { paymentSubscriptionAnswers, publishUntilDelivered } from './subscription.test-client.js';

const [ownOrder, othersOrder] = [randomUUID(), randomUUID()];
const WATCH = 'subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id status } }';
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'sse-test' });
let gateway: Gateway;
let base: string;
let token: string;
let client: Client;
let closed = false;

function watch(orderId: string, over = client) {
  const answers: ExecutionResult[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const stop = over.subscribe(
    { query: WATCH, variables: { id: orderId } },
    {
      next: (next) => answers.push(next as ExecutionResult),
      error: (error) => errors.push(error),
      complete: () => {
        completed = true;
      },
    },
  );
  return { answers, errors, stop, completed: () => completed };
}

const sseClient = (authorization: string) =>
  // Accepting compressed answers, as browsers do: a compressed stream would hold its events back.
  createClient({
    url: `${base}/graphql/stream`,
    headers: { authorization, 'accept-encoding': 'br, gzip' },
    retryAttempts: 0,
  });

beforeAll(async () => {
  subgraph.answer = paymentSubscriptionAnswers(ownOrder, 'FAILED');
  const started = await startGateway(await subgraph.start(), { SSE_MAX_STREAMS_PER_USER: '2' });
  gateway = started.gateway;
  base = started.base;
  token = `Bearer ${await createTestTokens().sign({ id: 'u1', role: 'CUSTOMER' })}`;
  client = sseClient(token);
});
afterAll(async () => {
  client?.dispose();
  if (!closed) await gateway?.close();
  await subgraph.close();
  await bus.close();
});

describe('subscriptions over Server-Sent Events', () => {
  it("delivers each payment event of the customer's order as it comes, and keeps nothing once the client stops", async () => {
    const subscription = watch(ownOrder);
    await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(1), { timeout: 10_000 });
    const payment = { paymentId: randomUUID(), orderId: ownOrder, userId: 'u1', amount: '19.99' };
    const failed = paymentFailed.create({ ...payment, failureReason: 'card_declined' });
    await publishUntilDelivered(bus, failed, () => subscription.answers.length > 0);
    expect(subscription.answers[0]).toEqual({
      data: { paymentStatusChanged: { id: payment.paymentId, status: 'FAILED' } },
    });
    expect(subscription.errors).toEqual([]);
    subscription.stop();
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 }));
  });

  it("answers another customer's order with its NOT_FOUND as the stream's one event, and keeps no listener", async () => {
    const subscription = watch(othersOrder);
    await vi.waitFor(() => expect(subscription.completed()).toBe(true), { timeout: 10_000 });
    expect(subscription.answers).toEqual([
      {
        data: null,
        errors: [
          expect.objectContaining({ message: `Order ${othersOrder} not found`, extensions: { code: 'NOT_FOUND' } }),
        ],
      },
    ]);
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 });
  });

  it('answers what is not served (a query) with its BAD_REQUEST as the one event, as graphql-ws does', async () => {
    const answers: ExecutionResult[] = [];
    let completed = false;
    client.subscribe(
      {
        query: 'query ($id: ID!) { order(id: $id) { id } }',
        variables: { id: ownOrder },
      },
      {
        next: (next) => answers.push(next as ExecutionResult),
        error: () => {},
        complete: () => {
          completed = true;
        },
      },
    );
    await vi.waitFor(() => expect(completed).toBe(true), { timeout: 10_000 });
    expect(answers).toEqual([
      { data: null, errors: [expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })] },
    ]);
  });

  it('refuses an anonymous or badly signed caller with 401 before any stream opens, and streams for a signed-in one', async () => {
    const open = (headers: Record<string, string>, signal?: AbortSignal) =>
      fetch(`${base}/graphql/stream`, {
        signal,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query: WATCH, variables: { id: ownOrder } }),
      });
    const callers: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }];
    for (const headers of callers) {
      const response = await open(headers);
      expect(response.status).toBe(401);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 });

    // A signed-in caller's stream: events as they come, through a proxy too, never compressed.
    const abort = new AbortController();
    const stream = await open({ authorization: token, 'accept-encoding': 'gzip' }, abort.signal);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.headers.get('content-encoding')).not.toMatch(/gzip|br/);
    abort.abort();
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 }));
  });

  it("serves distinct connections only: graphql-sse's stream reservations answer 404, with or without a token", async () => {
    const streamToken = { 'x-graphql-event-stream-token': randomUUID() };
    for (const headers of [{}, { authorization: token }] as Record<string, string>[]) {
      const reserve = await fetch(`${base}/graphql/stream`, { method: 'PUT', headers: { ...headers, ...streamToken } });
      expect(reserve.status).toBe(404);
      const into = await fetch(`${base}/graphql/stream?token=${streamToken['x-graphql-event-stream-token']}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ query: WATCH, variables: { id: ownOrder } }),
      });
      expect(into.status).toBe(404);
    }
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 });
  });

  it('refuses a stream past the per-user limit with 429, and cuts open streams when the gateway stops, for clients to reconnect', async () => {
    const first = watch(ownOrder);
    const second = watch(ownOrder);
    await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(2), { timeout: 10_000 });
    const third = watch(ownOrder);
    await vi.waitFor(() => expect(third.errors).toHaveLength(1), { timeout: 10_000 });
    expect(String(third.errors[0])).toMatch(/429/);
    expect(gateway.subscriptionStats().subscriptions).toBe(2);
    await gateway.close();
    closed = true;
    // Each open stream was cut, not left hanging and not completed: graphql-sse's client takes a
    // `complete` as the subscription's end for good, and a cut as a network error it retries (on
    // another replica). This client retries nothing, so it reports the error.
    await vi.waitFor(() => expect([first.errors, second.errors]).toEqual([[expect.anything()], [expect.anything()]]));
    expect(String(first.errors[0])).toMatch(/network|closed|terminated|fetch/i);
    expect([first.completed(), second.completed()]).toEqual([false, false]);
    expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 });
  });
});
