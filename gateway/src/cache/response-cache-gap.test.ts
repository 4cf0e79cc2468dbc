// The response cache is emptied by product.changed events on a queue of the gateway's own, which
// dies with its broker connection: changes published while it was gone were never heard. Once it is
// bound again, what the cache held is dropped. A RabbitMQ node of its own, stopped and started,
// makes the gap; no query arrives during it, so only the re-binding can tell the cache.
import { type PrivateBroker, startPrivateBroker } from '@shop/events/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';

const subgraph = new RecordingSubgraph();
let broker: PrivateBroker;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  broker = await startPrivateBroker('gateway-cache-gap');
  subgraph.answer = () => ({ data: { products: { edges: [] } } });
  // What products sends with the catalogue: public, for a minute.
  subgraph.headers = { 'cache-control': 'public, max-age=60' };
  ({ gateway, base } = await startGateway(await subgraph.start(), { AMQP_URL: broker.url }));
}, 120_000);
afterAll(async () => {
  await gateway?.close();
  await subgraph.close();
  await broker?.stop();
});

const QUERY = '{ products(first: 1) { edges { node { id } } } }';
const catalogueReads = () => subgraph.calls.filter((call) => call.body.query?.includes('products')).length;
const ask = async () => {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
  expect(response.status).toBe(200);
};
const brokerStatus = async () => {
  const body = (await (await fetch(`${base}/health/ready`)).json()) as { checks: Record<string, { status: string }> };
  return body.checks.rabbitmq?.status;
};

describe('the response cache after a gap in hearing product changes', () => {
  it('is emptied once the gateway hears again, though no query came during the gap', async () => {
    await vi.waitFor(() => expect(brokerStatus()).resolves.toBe('up'), { timeout: 30_000 });
    await ask();
    await ask();
    expect(catalogueReads()).toBe(1); // the second answer came from the cache

    await broker.stopApp();
    await vi.waitFor(() => expect(brokerStatus()).resolves.toBe('down'), { timeout: 30_000 });
    await broker.startApp();
    await vi.waitFor(() => expect(brokerStatus()).resolves.toBe('up'), { timeout: 30_000, interval: 200 });

    await ask();
    expect(catalogueReads()).toBe(2);
  }, 120_000);
});
