import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRequestSigner } from '@shop/platform/http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphFetcher, type SubgraphFetcher } from './subgraph-fetcher.js';

// A tiny real subgraph stand-in: counts requests and sockets, answers after a delay so that
// concurrent requests overlap.
let server: Server;
let url: string;
let requests: { body: string; authorization: string | undefined; headers: IncomingMessage['headers'] }[] = [];
const signer = createGatewayRequestSigner(['fetcher-test-signing-secret-long-enough']);
let open = 0;
let maxOpen = 0;
const sockets = new Set<unknown>();

const read = (req: IncomingMessage) =>
  new Promise<string>((done) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => done(body));
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    sockets.add(req.socket);
    open++;
    maxOpen = Math.max(maxOpen, open);
    const body = await read(req);
    requests.push({ body, authorization: req.headers.authorization, headers: req.headers });
    await new Promise((done) => setTimeout(done, 50));
    open--;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { n: requests.length } }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

let subject: SubgraphFetcher;
afterEach(async () => {
  await subject.close();
  requests = [];
  maxOpen = 0;
  sockets.clear();
});

const QUERY = JSON.stringify({ query: 'query Q { n }', variables: {} });
const MUTATION = JSON.stringify({ query: 'mutation M { n }', variables: {} });
const call = (body: string, authorization = 'Bearer a') =>
  subject.fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });

describe('subgraph fetcher', () => {
  it('signs each request for exactly its client address, token and body', async () => {
    subject = createSubgraphFetcher({ connections: 8, deduplicate: false, signer });
    const headers = { 'content-type': 'application/json', authorization: 'Bearer a', 'x-client-ip': '203.0.113.5' };
    await subject.fetcher(url, { method: 'POST', headers, body: QUERY });
    const sent = requests[0];
    const signed = {
      signature: String(sent?.headers['x-gateway-signature']),
      signedAt: String(sent?.headers['x-gateway-signed-at']),
    };
    const request = {
      method: 'POST',
      path: '/graphql',
      clientIp: '203.0.113.5',
      authorization: 'Bearer a',
      body: QUERY,
    };
    expect(signer.verify(request, signed)).toBe(true);
    expect(signer.verify({ ...request, clientIp: '203.0.113.6' }, signed)).toBe(false);
    expect(signer.verify({ ...request, authorization: 'Bearer b' }, signed)).toBe(false);
    expect(signer.verify({ ...request, body: MUTATION }, signed)).toBe(false);
  });

  it('sends identical queries in flight together once, and gives each caller its own body', async () => {
    subject = createSubgraphFetcher({ connections: 8, deduplicate: true, signer });
    const responses = await Promise.all(Array.from({ length: 10 }, () => call(QUERY)));
    expect(requests).toHaveLength(1);
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(bodies).toEqual(Array.from({ length: 10 }, () => ({ data: { n: 1 } })));
    expect(new Set(bodies).size).toBe(10);
    // Once answered, the next identical query goes out again: nothing is cached.
    await call(QUERY);
    expect(requests).toHaveLength(2);
  });

  it('never shares mutations, nor a query between different callers', async () => {
    subject = createSubgraphFetcher({ connections: 8, deduplicate: true, signer });
    await Promise.all([call(MUTATION), call(MUTATION), call(QUERY, 'Bearer a'), call(QUERY, 'Bearer b')]);
    expect(requests).toHaveLength(4);
    expect(requests.filter((request) => request.body === QUERY).map((r) => r.authorization)).toEqual(
      expect.arrayContaining(['Bearer a', 'Bearer b']),
    );
  });

  it('sends every query when deduplication is off', async () => {
    subject = createSubgraphFetcher({ connections: 8, deduplicate: false, signer });
    await Promise.all(Array.from({ length: 5 }, () => call(QUERY)));
    expect(requests).toHaveLength(5);
  });

  it('keeps connections alive and holds no more than the bound open at once', async () => {
    subject = createSubgraphFetcher({ connections: 2, deduplicate: false, signer });
    await Promise.all(Array.from({ length: 12 }, () => call(QUERY)));
    expect(requests).toHaveLength(12);
    expect(maxOpen).toBe(2);
    expect(sockets.size).toBe(2);
  });
});
