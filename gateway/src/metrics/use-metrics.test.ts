import { metricsRegistry } from '@shop/platform/telemetry';
import { createTestTokens, metricValue } from '@shop/platform/testing';
import { describe, expect, it, vi } from 'vitest';
import { gatewayOverRecordingSubgraph } from '../gateway.test-fixture.js';
import { subscriptionClient } from '../subscriptions/subscription.test-client.js';

const started = gatewayOverRecordingSubgraph();
const { subgraph } = started;
// Orders: the subscription's authorizing query finds the caller's order.
subgraph.answer = ({ body }) =>
  body.query?.includes('products')
    ? { data: { products: { totalCount: 3 } } }
    : { data: { orderStatusChanged: { id: 'o1' }, order: { id: 'o1' } } };

// The process's registry, which main.ts serves on its own listener (metrics-server.ts).
const scrape = () => metricsRegistry.metrics();
const graphql = (query: string) =>
  fetch(`${started.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });

describe('/metrics of the gateway', () => {
  it('times operations, subgraph fetches and HTTP routes, and counts errors by code', async () => {
    const before = await scrape();
    expect((await graphql('query Catalog { products { totalCount } }')).status).toBe(200);
    expect((await fetch(`${started.base}/api/openapi.json`)).status).toBe(200);
    await graphql('query Broken { nope }');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);

    expect(delta('graphql_operation_duration_seconds_count', { operation: 'Catalog', type: 'query' })).toBe(1);
    expect(delta('graphql_errors_total', { operation: 'Broken', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta('gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'products', outcome: 'ok' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/graphql', method: 'POST', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/api/openapi.json', status: '200' })).toBe(1);
    expect(after).toContain('service="gateway"');
  });

  it('are not served on the public port', async () => {
    const response = await fetch(`${started.base}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('graphql_operation_duration_seconds');
  });

  it('shows open subscriptions and WebSocket connections', async () => {
    const tokens = createTestTokens();
    const client = subscriptionClient(started.base, await tokens.sign({ id: 'u1', role: 'CUSTOMER' }));
    const dispose = client.subscribe(
      { query: 'subscription { orderStatusChanged(orderId: "o1") { id } }' },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    await vi.waitFor(async () => {
      const now = await scrape();
      expect(metricValue(now, 'gateway_active_subscriptions')).toBe(1);
      expect(metricValue(now, 'gateway_websocket_connections')).toBe(1);
    });
    dispose();
    await client.dispose();
    await vi.waitFor(async () => {
      const now = await scrape();
      expect(metricValue(now, 'gateway_active_subscriptions')).toBe(0);
      expect(metricValue(now, 'gateway_websocket_connections')).toBe(0);
    });
  });

  it('shows how many shared watches serve the open subscriptions', async () => {
    const tokens = createTestTokens();
    const client = subscriptionClient(started.base, await tokens.sign({ id: 'u1', role: 'CUSTOMER' }));
    const watch = (orderId: string) =>
      client.subscribe(
        { query: `subscription { orderStatusChanged(orderId: "${orderId}") { id } }` },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    // Two alike share one watch; another order has its own.
    const stops = [watch('o1'), watch('o1'), watch('o2')];
    await vi.waitFor(async () => {
      const now = await scrape();
      expect(metricValue(now, 'gateway_active_subscriptions')).toBe(3);
      expect(metricValue(now, 'gateway_subscription_watches')).toBe(2);
    });
    for (const stop of stops) stop();
    await client.dispose();
    await vi.waitFor(async () => {
      const now = await scrape();
      expect(metricValue(now, 'gateway_active_subscriptions')).toBe(0);
      expect(metricValue(now, 'gateway_subscription_watches')).toBe(0);
    });
  });
});
