// REQUEST_TIMEOUT: one budget for a client's whole request, shared by the subgraph fetches of its
// query plan, each told what is left (x-request-timeout-ms). A client may ask for less.
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph, postJson, type SubgraphCall } from '../gateway.test-fixture.js';

const started = gatewayOverRecordingSubgraph({ REQUEST_TIMEOUT: '2s' });
const { subgraph } = started;
afterEach(() => {
  subgraph.calls.length = 0;
  subgraph.answer = () => ({ data: null });
});

/** What the gateway told the subgraph it would wait, per call in order. */
const sentBudgets = () => subgraph.calls.map((call) => Number(call.headers['x-request-timeout-ms']));
const NO_PRODUCTS = { data: { products: { totalCount: 0, edges: [] } } };
const later = (ms: number, value: unknown) => new Promise((done) => setTimeout(() => done(value), ms));

/** The orders subgraph's order, then the payments subgraph's `Order.payment` (a second fetch, after the first). */
function orderThenPayment(call: SubgraphCall) {
  return call.body.query?.includes('_entities')
    ? { data: { _entities: [{ payment: { id: 'pay1' } }] } }
    : { data: { order: { __typename: 'Order', id: 'o1' } } };
}

describe('the request deadline', () => {
  it("gives a query plan's fetches one budget between them, not one each", async () => {
    // Each subgraph takes 1.2 s: the second fetch starts with under 0.8 s of the 2 s left.
    subgraph.answer = (call) => later(1_200, orderThenPayment(call));
    const { status, body } = await postJson(`${started.base}/graphql`, {
      query: '{ order(id: "o1") { id payment { id } } }',
    });
    expect(status).toBe(200);
    expect(body.data).toEqual({ order: { id: 'o1', payment: null } });
    // Apollo's gateway gives a failed fetch no path; the order itself was answered.
    expect(body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 }) }),
    ]);
    const [first, second] = sentBudgets();
    expect(subgraph.calls).toHaveLength(2);
    expect(first).toBeGreaterThan(1_200);
    expect(first).toBeLessThanOrEqual(2_000);
    expect(second).toBeGreaterThan(0);
    expect(second).toBeLessThanOrEqual(800);
  });

  it('is shorter when the client asks for less, on /graphql and the REST routes, and never longer than REQUEST_TIMEOUT', async () => {
    subgraph.answer = (call) => orderThenPayment(call);
    const asking = (ms: string) => ({ 'x-request-timeout-ms': ms });
    await postJson(`${started.base}/graphql`, { query: '{ order(id: "o1") { id } }' }, asking('700'));
    subgraph.answer = () => NO_PRODUCTS;
    await fetch(`${started.base}/api/products`, { headers: asking('700') });
    await fetch(`${started.base}/api/products`, { headers: asking('600000') });
    await fetch(`${started.base}/api/products`, { headers: asking('soon') });
    const budgets = sentBudgets();
    expect(budgets).toHaveLength(4);
    for (const asked of budgets.slice(0, 2)) expect(asked).toBeGreaterThan(0);
    for (const asked of budgets.slice(0, 2)) expect(asked).toBeLessThanOrEqual(700);
    for (const capped of budgets.slice(2)) expect(capped).toBeGreaterThan(700);
    for (const capped of budgets.slice(2)) expect(capped).toBeLessThanOrEqual(2_000);
  });

  it('answers SERVICE_UNAVAILABLE once the budget is spent, the REST route with 503 and Retry-After', async () => {
    subgraph.answer = () => later(1_000, NO_PRODUCTS);
    const response = await fetch(`${started.base}/api/products`, { headers: { 'x-request-timeout-ms': '300' } });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
