import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@shop/platform/core';
import { freePort, rawExchange, silentLogger } from '@shop/platform/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { postJson, RecordingSubgraph } from '../gateway.test-fixture.js';
import { plainGatewayConfig } from './plain-gateway.config.js';
import { createPlainGateway, type PlainGateway } from './plain-gateway.js';

// The plain gateway serves foreign supergraphs (the federation audit's): their subgraphs have no
// `/health/ready`, and their names (`users`, `products`) must not pick up the shop's routing variables.
const SUPERGRAPH = fileURLToPath(new URL('../../../supergraph.graphql', import.meta.url));
const subgraph = new RecordingSubgraph();
let dir: string;
let gateway: PlainGateway | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plain-gateway-'));
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});
afterAll(async () => {
  await subgraph.close();
  await rm(dir, { recursive: true, force: true });
});

/** The repository's supergraph with every routing URL replaced by `url`, as a file of its own. */
async function supergraphRoutedTo(url: string): Promise<string> {
  const sdl = (await readFile(SUPERGRAPH, 'utf8')).replace(/url: "http:\/\/[^"]+"/g, `url: "${url}"`);
  const path = join(dir, `${Math.random().toString(36).slice(2)}.graphql`);
  await writeFile(path, sdl);
  return path;
}

async function start(env: Record<string, string>): Promise<string> {
  const config = parseConfig(plainGatewayConfig, {
    NODE_ENV: 'test',
    JWT_SECRET: 'x'.repeat(32),
    GATEWAY_SIGNING_SECRETS: 's'.repeat(32),
    ...env,
  });
  gateway = await createPlainGateway({ config, log: silentLogger });
  return `http://127.0.0.1:${await gateway.listen(0)}`;
}

describe('plain gateway', () => {
  it('is ready once its supergraph is loaded, whatever its subgraphs answer on their health paths', async () => {
    const base = await start({ SUPERGRAPH_PATH: await supergraphRoutedTo(`http://127.0.0.1:${await freePort()}/x`) });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'up', service: 'gateway', checks: { supergraph: { status: 'up' } } });
  });

  it("routes to the supergraph's own URLs, never to the shop's USERS_URL / PRODUCTS_URL", async () => {
    const elsewhere = `http://127.0.0.1:${await freePort()}/graphql`;
    subgraph.answer = () => ({ data: { product: { id: 'p1', name: 'Lamp' } } });
    const base = await start({
      SUPERGRAPH_PATH: await supergraphRoutedTo(await subgraph.start()),
      USERS_URL: elsewhere,
      PRODUCTS_URL: elsewhere,
    });
    const answer = await postJson(`${base}/graphql`, { query: '{ product(id: "p1") { id name } }' });
    expect(answer.body).toEqual({ data: { product: { id: 'p1', name: 'Lamp' } } });
    expect(subgraph.calls).toHaveLength(1);
  });

  it('gives each request one budget, REQUEST_TIMEOUT, as the full gateway does', async () => {
    const own = new RecordingSubgraph();
    own.answer = () => ({ data: { product: null } });
    try {
      const base = await start({
        SUPERGRAPH_PATH: await supergraphRoutedTo(await own.start()),
        REQUEST_TIMEOUT: '20s',
      });
      await postJson(`${base}/graphql`, { query: '{ product(id: "p1") { id } }' });
      const told = Number(own.calls[0]?.headers['x-request-timeout-ms']);
      expect(told).toBeGreaterThan(10_000);
      expect(told).toBeLessThanOrEqual(20_000);
    } finally {
      await own.close();
    }
  });

  it("answers with the full gateway's edge: security headers, request id, and CORS exposing Retry-After", async () => {
    const base = await start({
      SUPERGRAPH_PATH: await supergraphRoutedTo('http://127.0.0.1:9/graphql'),
      CORS_ORIGINS: 'https://shop.example',
    });
    const answer = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://shop.example' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(answer.headers.get('x-request-id')).toMatch(/\S/);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(answer.headers.get('access-control-expose-headers')).toBe(
      'x-request-id,retry-after,ratelimit,ratelimit-policy',
    );
  });

  it('serves no REST shims, tracker or subscriptions endpoint of the shop', async () => {
    const base = await start({ SUPERGRAPH_PATH: await supergraphRoutedTo('http://127.0.0.1:9/graphql') });
    expect((await fetch(`${base}/api/products`)).status).toBe(404);
    expect((await fetch(`${base}/tracker`)).status).toBe(404);
    // No SSE stream: /graphql/stream is only a path under /graphql, whose Apollo refuses an event stream.
    const streamRequest = async (path: string) => {
      const answer = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { orderStatusChanged(orderId: "o1") { id } }' }),
      });
      return { status: answer.status, type: answer.headers.get('content-type'), body: await answer.text() };
    };
    const stream = await streamRequest('/graphql/stream');
    expect(stream.status).toBe(406);
    expect(stream).toEqual(await streamRequest('/graphql/elsewhere'));
    // No graphql-ws: the upgrade is answered as a GET of /graphql without a query, and no socket opens.
    const upgrade = await new Promise<'open' | number>((resolve) => {
      const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      socket.once('open', () => {
        resolve('open');
        socket.close();
      });
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    });
    expect(upgrade).toBe(400);
  });

  it("holds a client's request only as long as the read limits allow, as the full gateway does", async () => {
    const base = await start({
      SUPERGRAPH_PATH: await supergraphRoutedTo('http://127.0.0.1:9/graphql'),
      HEADERS_READ_TIMEOUT: '300ms',
    });
    // Headers that never end: answered 408 and closed, not held for Node's own 60 s.
    const answer = await rawExchange(Number(new URL(base).port), 'POST /graphql HTTP/1.1\r\nHost: gateway\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});
