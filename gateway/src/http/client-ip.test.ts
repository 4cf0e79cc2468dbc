import { createTestTokens } from '@shop/platform/testing';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';

const subgraph = new RecordingSubgraph();
const gateways: Gateway[] = [];
let direct: string;
let behindProxy: string;

beforeAll(async () => {
  const url = await subgraph.start();
  subgraph.answer = () => ({ data: { product: null } });
  const plain = await startGateway(url);
  const proxied = await startGateway(url, { TRUST_PROXY: 'loopback' });
  gateways.push(plain.gateway, proxied.gateway);
  [direct, behindProxy] = [plain.base, proxied.base];
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await subgraph.close();
});

/** The `x-client-ip` the subgraph received for one query sent with these headers. */
async function forwardedIp(base: string, headers: Record<string, string>): Promise<unknown> {
  const before = subgraph.calls.length;
  await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ product(id: "p1") { id } }' }),
  });
  expect(subgraph.calls.length).toBe(before + 1);
  return subgraph.calls.at(-1)?.headers['x-client-ip'];
}

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

describe('x-client-ip', () => {
  it("is the socket's peer when no proxy is trusted, whatever the client claims", async () => {
    const ip = await forwardedIp(direct, { 'x-forwarded-for': '203.0.113.9', 'x-client-ip': '198.51.100.7' });
    expect(ip).toMatch(LOOPBACK);
  });

  it('is the first address a trusted proxy vouches for, read from the right of X-Forwarded-For', async () => {
    expect(await forwardedIp(behindProxy, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' })).toBe('203.0.113.9');
    // A spoofed entry left of an untrusted hop is never believed.
    expect(await forwardedIp(behindProxy, { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' })).toBe('203.0.113.9');
  });

  it('goes with the queries of a graphql-ws subscription too', async () => {
    const tokens = createTestTokens();
    const token = await tokens.sign({ id: 'u1', role: 'CUSTOMER' });
    const before = subgraph.calls.length;
    const client = createClient({
      url: `${behindProxy.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols: string[]) {
          super(address, protocols, { headers: { 'x-forwarded-for': '203.0.113.50' } });
        }
      },
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const done = new Promise((resolve) => {
      client.subscribe(
        { query: 'subscription { orderStatusChanged(orderId: "o1") { id } }' },
        { next: resolve, error: resolve, complete: () => resolve(undefined) },
      );
    });
    await vi.waitFor(() => expect(subgraph.calls.length).toBeGreaterThan(before));
    expect(subgraph.calls.at(-1)?.headers['x-client-ip']).toBe('203.0.113.50');
    await done;
    await client.dispose();
  });
});
