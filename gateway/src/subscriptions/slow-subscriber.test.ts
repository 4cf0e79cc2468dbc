// A subscriber that stops reading while its own actions keep raising events (a declined payment
// after another) must not grow the gateway's memory: past MAX_UNREAD_RESULTS (watcher.stream.ts) unread its
// subscription ends with SUBSCRIBER_TOO_SLOW, over graphql-ws and over SSE, and an SSE stream
// whose write stays pending for SSE_STALLED_WRITE_MS is cut.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { EventBus, paymentFailed } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, createTestTokens, silentLogger } from '@shop/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import { paymentSubscriptionAnswers } from './subscription.test-client.js';

const order = randomUUID();
const WATCH = 'subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id status failureReason } }';
/** Each event's payload: large, so that the sockets' buffers fill after a few dozen. */
let reason = 'x'.repeat(200_000);
const subgraph = new RecordingSubgraph();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'slow-test' });
let token: string;

beforeAll(async () => {
  const answers = paymentSubscriptionAnswers(order, 'FAILED');
  subgraph.answer = (call) => {
    const answer = answers(call) as { data: { paymentStatusChanged: Record<string, unknown> | null } };
    if (call.body.query?.includes('payment(') && answer.data.paymentStatusChanged) {
      answer.data.paymentStatusChanged.failureReason = reason;
    }
    return answer;
  };
  await subgraph.start();
  token = await createTestTokens().sign({ id: 'u1', role: 'CUSTOMER' });
});
afterAll(async () => {
  await subgraph.close();
  await bus.close();
});

const paymentQueries = () => subgraph.calls.filter((call) => call.body.query?.includes('payment(')).length;
const declined = () =>
  paymentFailed.create({
    paymentId: randomUUID(),
    orderId: order,
    userId: 'u1',
    amount: '19.99',
    failureReason: 'card_declined',
  });

/** Declined payments, 25 at a time, each batch run by the gateway, until `done()` (at most 1,000). */
async function declineUntil(done: () => boolean): Promise<number> {
  let published = 0;
  while (!done() && published < 1_000) {
    const before = paymentQueries();
    for (let i = 0; i < 25; i++) await bus.publish(declined());
    published += 25;
    // Run by the gateway, or some not: the subscription ended on the way.
    await vi.waitFor(() => expect(done() || paymentQueries() === before + 25).toBe(true), { timeout: 30_000 });
  }
  return published;
}

/** The first event reaches the subscriber while it reads: the gateway's queue is bound. */
async function firstDelivered(received: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 50 && !received(); attempt++) {
    await bus.publish(declined());
    await vi.waitFor(() => expect(received()).toBe(true), { timeout: 200 }).catch(() => {});
  }
  expect(received()).toBe(true);
}

/** An SSE stream of WATCH read by hand: `text()` is what arrived, `socket` can stop reading. */
function openStream(base: string) {
  let text = '';
  const opened = new Promise<{ socket: Socket; ended: Promise<void> }>((resolve, reject) => {
    const req = request(`${base}/graphql/stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        'content-type': 'application/json',
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('error', () => done());
        res.on('close', done);
      });
      resolve({ socket: res.socket, ended });
    });
    req.end(JSON.stringify({ query: WATCH, variables: { id: order } }));
  });
  return { opened, text: () => text };
}

describe('a subscriber that stops reading', () => {
  /** The gateway the test started, closed after it. */
  let running: Gateway | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  /** A gateway with `env`, and an SSE stream of WATCH on it that has had its first event. */
  async function watchedStream(env: Record<string, string>) {
    const started = await startGateway(subgraph.url(), env);
    running = started.gateway;
    const stream = openStream(started.base);
    const opened = await stream.opened;
    await vi.waitFor(() => expect(started.gateway.subscriptionStats().feedListeners).toBe(1), { timeout: 10_000 });
    await firstDelivered(() => stream.text().includes('event: next'));
    return { ...opened, text: stream.text, gateway: started.gateway };
  }

  it('over graphql-ws is ended with SUBSCRIBER_TOO_SLOW once it leaves too much unread, and leaves the feed', async () => {
    // No keep-alive drop during the test: the socket stays, only the subscription ends.
    const started = await startGateway(subgraph.url(), { WS_KEEP_ALIVE_MS: '300s' });
    const own = started.gateway;
    running = own;
    const messages: { id?: string; type: string; payload?: { errors?: { extensions?: { code?: string } }[] } }[] = [];
    const socket = new WebSocket(`${started.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await vi.waitFor(() => expect(messages.map((m) => m.type)).toContain('connection_ack'));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WATCH, variables: { id: order } } }));
    await vi.waitFor(() => expect(own.subscriptionStats().feedListeners).toBe(1), { timeout: 10_000 });
    await firstDelivered(() => messages.some((m) => m.type === 'next'));

    (socket as unknown as { _socket: Socket })._socket.pause();
    const published = await declineUntil(() => own.subscriptionStats().feedListeners === 0);
    expect(own.subscriptionStats().feedListeners).toBe(0);

    // Reading again: what the sockets held, then the end, far fewer than were published.
    (socket as unknown as { _socket: Socket })._socket.resume();
    await vi.waitFor(() => expect(messages.map((m) => m.type)).toContain('complete'), { timeout: 30_000 });
    const nexts = messages.filter((m) => m.type === 'next');
    expect(nexts.at(-1)?.payload?.errors?.[0]?.extensions?.code).toBe('SUBSCRIBER_TOO_SLOW');
    expect(nexts.length).toBeLessThan(published);
    socket.terminate();
  }, 120_000);

  it('over SSE is ended the same way: the stream takes an event only once the last was written', async () => {
    // No cut during the test: only the subscription ends, the stream stays.
    const { socket, ended, text, gateway } = await watchedStream({ SSE_STALLED_WRITE_MS: '10m' });

    socket.pause();
    const published = await declineUntil(() => gateway.subscriptionStats().feedListeners === 0);
    expect(gateway.subscriptionStats().feedListeners).toBe(0);
    // Still open: its last writes wait for a client that may read again (SSE_STALLED_WRITE_MS).
    expect(gateway.subscriptionStats().subscriptions).toBe(1);

    socket.resume();
    await ended;
    const events = text().split('\n\n');
    const nexts = events.filter((event) => event.startsWith('event: next'));
    expect(nexts.at(-1)).toContain('SUBSCRIBER_TOO_SLOW');
    expect(nexts.length).toBeLessThan(published);
    expect(events.some((event) => event.startsWith('event: complete'))).toBe(true);
    await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(0));
  }, 120_000);

  it('over SSE is cut once its last event has waited SSE_STALLED_WRITE_MS to be written, with no event after it', async () => {
    const { socket, gateway } = await watchedStream({ SSE_STALLED_WRITE_MS: '1s' });

    socket.pause();
    // One event of 32 MB, far more than the sockets' buffers hold: it stays partly unsent. Then nothing.
    reason = 'x'.repeat(32_000_000);
    try {
      const last = declined();
      await bus.publish(last);
      const ran = () => subgraph.calls.some((call) => call.body.variables?.payment_id === last.data.paymentId);
      await vi.waitFor(() => expect(ran()).toBe(true), { timeout: 30_000 });
    } finally {
      reason = 'x'.repeat(200_000);
    }
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toMatchObject({ subscriptions: 0, feedListeners: 0 }), {
      timeout: 15_000,
    });
    socket.destroy();
  }, 120_000);
});
