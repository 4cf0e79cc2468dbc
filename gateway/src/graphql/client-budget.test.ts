// Each client's requests spend their operations' cost from a budget per window: an anonymous
// client's by address, a signed-in one's by account. Loopback is the trusted proxy here, so
// X-Forwarded-For names the client.
import { randomUUID } from 'node:crypto';
import { EventBus, paymentFailed } from '@shop/events';
import { TEST_AMQP_URL as AMQP_URL, createTestTokens, silentLogger } from '@shop/platform/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { gatewayOverRecordingSubgraph, type Json, TEST_EXCHANGE } from '../gateway.test-fixture.js';
import {
  paymentSubscriptionAnswers,
  publishUntilDelivered,
  recordSubscription,
  subscriptionClient,
} from '../subscriptions/subscription.test-client.js';
import { clientBudgetPlugin } from './client-budget.plugin.js';

// The budget holds more than the largest operation allowed, as by default (200,000 and 10,000).
const started = gatewayOverRecordingSubgraph({
  TRUST_PROXY: 'loopback',
  CLIENT_COST_BUDGET: '10000',
  GRAPHQL_MAX_COST: '5000',
});
const { subgraph } = started;

const FIELDS = 'id name description price category inventory images createdAt updatedAt';
/** About 4,000 points: two fit in the budget of 10,000, a third does not. */
const COSTLY = `{ products(first: 100) { edges { node { ${FIELDS} } } } }`;
/** About 20 points. */
const CHEAP = '{ products(first: 1) { edges { node { id } } } }';
const tokens = createTestTokens();
const bus = new EventBus({ url: AMQP_URL, exchange: TEST_EXCHANGE, log: silentLogger, connectionName: 'budget-test' });
afterAll(() => bus.close());

async function ask(query: string, headers: Record<string, string>) {
  subgraph.answer = () => ({ data: { products: { edges: [] } } });
  const response = await fetch(`${started.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    left: pointsLeft(response.headers),
    body: (await response.json()) as Json,
  };
}

/** The points left that the answer's `RateLimit` header tells, after checking both RateLimit headers. */
function pointsLeft(headers: Headers): number {
  expect(headers.get('ratelimit-policy')).toBe('"cost";q=10000;w=60');
  const [, left, reset] = /^"cost";r=(\d+);t=(\d+)$/.exec(headers.get('ratelimit') ?? '') ?? [];
  expect(Number(reset)).toBeGreaterThanOrEqual(1);
  expect(Number(reset)).toBeLessThanOrEqual(60);
  return Number(left);
}

const from = (ip: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...headers });
const signedIn = async (id: string) => ({ authorization: `Bearer ${await tokens.sign({ id, role: 'CUSTOMER' })}` });

/** A refusal for the budget: 429, Retry-After within the window, TOO_MANY_REQUESTS, no subgraph asked. */
async function expectRefused(query: string, headers: Record<string, string>): Promise<void> {
  const before = subgraph.calls.length;
  const refused = await ask(query, headers);
  expect(refused.status).toBe(429);
  const retryAfter = Number(refused.retryAfter);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(refused.body.errors[0].extensions).toEqual({ code: 'TOO_MANY_REQUESTS', retryAfter });
  expect(subgraph.calls.length).toBe(before);
  expect(refused.left).toBeLessThan(10_000);
}

describe('cost budget per client', () => {
  it('spends each operation its cost: a costly one is refused once its cost is not left, a cheap one still runs', async () => {
    const client = from('203.0.113.10');
    const first = await ask(COSTLY, client);
    expect(first.status).toBe(200);
    const costly = 10_000 - first.left;
    expect(costly).toBeGreaterThan(3_000);
    expect(costly).toBeLessThan(5_000);
    const second = await ask(COSTLY, client);
    expect(second.status).toBe(200);
    expect(second.left).toBe(first.left - costly);
    await expectRefused(COSTLY, client);
    // The refused operation spent nothing: what is left still pays for cheap ones.
    const cheap = await ask(CHEAP, client);
    expect(cheap.status).toBe(200);
    expect(cheap.left).toBeGreaterThan(second.left - 100);
    expect(cheap.left).toBeLessThan(second.left);
    for (let i = 0; i < 5; i++) expect((await ask(CHEAP, client)).status).toBe(200);
    // Another address has a budget of its own.
    expect((await ask(COSTLY, from('203.0.113.11'))).status).toBe(200);
  });

  it('spends nothing on an operation the cost limit refuses', async () => {
    const client = from('203.0.113.12');
    const before = subgraph.calls.length;
    const tooCostly = await fetch(`${started.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...client },
      // About 6,000 points: past the cost limit, within the budget.
      body: JSON.stringify({ query: `{ products(first: 150) { edges { node { ${FIELDS} } } } }` }),
    });
    expect((await tooCostly.json()) as Json).toMatchObject({
      errors: [{ message: expect.stringMatching(/^Query cost limit of 5000 exceeded/) }],
    });
    expect(subgraph.calls.length).toBe(before);
    // Its cost was not spent: a costly operation still leaves more than the refused one would have.
    const first = await ask(COSTLY, client);
    expect(first.status).toBe(200);
    expect(first.left).toBeGreaterThan(5_000);
  });

  it('counts a signed-in client by account, from whatever address it calls', async () => {
    const account = await signedIn('budget-u1');
    expect((await ask(COSTLY, from('198.51.100.1', account))).status).toBe(200);
    expect((await ask(COSTLY, from('198.51.100.2', account))).status).toBe(200);
    await expectRefused(COSTLY, from('198.51.100.3', account));
    // Another account behind the same address (a carrier's NAT) is not held back.
    expect((await ask(COSTLY, from('198.51.100.1', await signedIn('budget-u2')))).status).toBe(200);
  });

  it('refuses a REST call over budget with a 429 problem and Retry-After', async () => {
    const client = from('203.0.113.20');
    expect((await ask(COSTLY, client)).status).toBe(200);
    expect((await ask(COSTLY, client)).status).toBe(200);
    const before = subgraph.calls.length;
    const response = await fetch(`${started.base}/api/products?limit=100`, { headers: client });
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Json;
    expect(problem).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    expect(Number(response.headers.get('retry-after'))).toBe(problem.retryAfter);
    expect(pointsLeft(response.headers)).toBeLessThan(10_000);
    expect(subgraph.calls.length).toBe(before);
  });

  it("spends nothing on a subscription's events: a client over budget still gets them", async () => {
    const account = await signedIn('budget-u3');
    const orderId = randomUUID();
    subgraph.answer = paymentSubscriptionAnswers(orderId, 'FAILED');
    const client = subscriptionClient(started.base, account.authorization.slice('Bearer '.length));
    const watched = recordSubscription(client, {
      query: 'subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id status } }',
      variables: { id: orderId },
    });
    await vi.waitFor(() => expect(started.gateway.subscriptionStats().subscriptions).toBe(1));
    // Spent to the last point: costly operations, then cheap ones, then ones of a single point.
    for (const query of [COSTLY, CHEAP, '{ __typename }']) {
      for (let spent = 0; spent < 200 && (await ask(query, account)).status === 200; spent++);
    }
    await expectRefused('{ __typename }', account);
    subgraph.answer = paymentSubscriptionAnswers(orderId, 'FAILED');
    const paymentId = randomUUID();
    const failed = paymentFailed.create({
      paymentId,
      orderId,
      userId: 'budget-u3',
      amount: '9.99',
      failureReason: 'card_declined',
    });
    await publishUntilDelivered(bus, failed, () => watched.messages.length > 0 || watched.failure() !== undefined);
    expect(watched.failure()).toBeUndefined();
    expect(watched.messages).toEqual([{ data: { paymentStatusChanged: { id: paymentId, status: 'FAILED' } } }]);
    await client.dispose();
  });

  it('spends the start of a subscription (its authorizing query): a client over budget cannot start one', async () => {
    const account = await signedIn('budget-u4');
    for (const query of [COSTLY, CHEAP, '{ __typename }']) {
      for (let spent = 0; spent < 200 && (await ask(query, account)).status === 200; spent++);
    }
    await expectRefused('{ __typename }', account);
    const orderId = randomUUID();
    subgraph.answer = paymentSubscriptionAnswers(orderId, 'FAILED');
    const before = subgraph.calls.length;
    const client = subscriptionClient(started.base, account.authorization.slice('Bearer '.length));
    const watched = recordSubscription(client, {
      query: 'subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id status } }',
      variables: { id: orderId },
    });
    await vi.waitFor(() => expect(watched.failure()).toBeDefined());
    expect(watched.failure()).toMatchObject([{ extensions: { code: 'TOO_MANY_REQUESTS' } }]);
    expect(subgraph.calls.length).toBe(before);
    await client.dispose();
  });

  it("spends at least the subscription's own cost at its start, where its authorizing query selects only the order's id", async () => {
    const account = await signedIn('budget-u5');
    const orderId = randomUUID();
    const before = (await ask(CHEAP, account)).left;
    subgraph.answer = paymentSubscriptionAnswers(orderId, 'FAILED');
    const client = subscriptionClient(started.base, account.authorization.slice('Bearer '.length));
    // About 1,300 points, run for each of its events: the authorizing `order(id:) { id }` is 4.
    const orders = 'orders(first: 20) { edges { node { id status totalAmount } } }';
    recordSubscription(client, {
      query: `subscription ($id: ID!) { paymentStatusChanged(orderId: $id) { id order { user { ${orders} } } } }`,
      variables: { id: orderId },
    });
    await vi.waitFor(() => expect(started.gateway.subscriptionStats().subscriptions).toBe(1));
    const after = (await ask(CHEAP, account)).left;
    expect(before - after).toBeGreaterThan(1_300);
    expect(before - after).toBeLessThan(1_400);
    await client.dispose();
  });

  it('refuses a budget smaller than the largest allowed operation, which could never run', () => {
    const settings = { CLIENT_COST_WINDOW: 60_000, GRAPHQL_MAX_COST: 10_000, GATEWAY_WORKERS: 1 };
    const cost = () => 1;
    expect(() => clientBudgetPlugin({ ...settings, CLIENT_COST_BUDGET: 9_999 }, cost)).toThrow(/CLIENT_COST_BUDGET/);
    expect(() => clientBudgetPlugin({ ...settings, CLIENT_COST_BUDGET: 0 }, cost)).not.toThrow();
  });
});
