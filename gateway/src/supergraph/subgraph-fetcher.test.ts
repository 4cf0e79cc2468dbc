import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceUnavailableError } from '@shop/platform/core';
import { createGatewayRequestSigner } from '@shop/platform/http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RetryBudget } from './retry-budget.js';
import { createSubgraphFetcher, type SubgraphFetcher } from './subgraph-fetcher.js';

// A tiny real subgraph stand-in: counts requests and sockets, answers after a delay so that
// concurrent requests overlap.
let server: Server;
let url: string;
let requests: { body: string; authorization: string | undefined; headers: IncomingMessage['headers'] }[] = [];
const signer = createGatewayRequestSigner(['fetcher-test-signing-secret-long-enough']);
const HANG = JSON.stringify({ query: 'query Hang { n }', variables: {} });
const RESET_ONCE = JSON.stringify({ query: 'query ResetOnce { n }', variables: {} });
const ALWAYS_RESET = JSON.stringify({ query: 'query AlwaysReset { n }', variables: {} });
const PROXY_ONCE = JSON.stringify({ query: 'query ProxyOnce { n }', variables: {} });
const RESET_MUTATION = JSON.stringify({ query: 'mutation Reset { n }', variables: {} });
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
    if (body === HANG) return; // a hung subgraph: never answers
    const seen = requests.filter((request) => request.body === body).length;
    // A replica going away mid-request (reset), or a proxy that found none (503): always, or the first time.
    if (body === ALWAYS_RESET || body === RESET_MUTATION || (body === RESET_ONCE && seen === 1)) {
      open--;
      req.socket.destroy();
      return;
    }
    if (body === PROXY_ONCE && seen === 1) {
      open--;
      res.statusCode = 503;
      res.end('no healthy upstream');
      return;
    }
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

const fetcherWith = (options: {
  connections: number;
  deduplicate: boolean;
  timeoutMs?: number;
  retryBudget?: RetryBudget;
}) => createSubgraphFetcher({ timeoutMs: 30_000, signer, ...options });

const QUERY = JSON.stringify({ query: 'query Q { n }', variables: {} });
const MUTATION = JSON.stringify({ query: 'mutation M { n }', variables: {} });
const call = (body: string, authorization = 'Bearer a') =>
  subject.fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });

describe('subgraph fetcher', () => {
  it('signs each request for exactly its client address, token and body', async () => {
    subject = fetcherWith({ connections: 8, deduplicate: false });
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
    subject = fetcherWith({ connections: 8, deduplicate: true });
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
    subject = fetcherWith({ connections: 8, deduplicate: true });
    await Promise.all([call(MUTATION), call(MUTATION), call(QUERY, 'Bearer a'), call(QUERY, 'Bearer b')]);
    expect(requests).toHaveLength(4);
    expect(requests.filter((request) => request.body === QUERY).map((r) => r.authorization)).toEqual(
      expect.arrayContaining(['Bearer a', 'Bearer b']),
    );
  });

  it('sends every query when deduplication is off', async () => {
    subject = fetcherWith({ connections: 8, deduplicate: false });
    await Promise.all(Array.from({ length: 5 }, () => call(QUERY)));
    expect(requests).toHaveLength(5);
  });

  it('keeps connections alive and holds no more than the bound open at once', async () => {
    subject = fetcherWith({ connections: 2, deduplicate: false });
    await Promise.all(Array.from({ length: 12 }, () => call(QUERY)));
    expect(requests).toHaveLength(12);
    expect(maxOpen).toBe(2);
    expect(sockets.size).toBe(2);
  });

  it('sends a query its callers share once even while it hangs, leaving the other connection free', async () => {
    subject = fetcherWith({ connections: 2, deduplicate: true, timeoutMs: 5_000 });
    const hung = [call(HANG), call(HANG)].map((response) => response.catch(() => 'given up'));
    await vi.waitFor(() => expect(requests.some((request) => request.body === HANG)).toBe(true), { timeout: 4_000 });
    // Sent twice, the copy would hold the other connection, and this query would wait out its time.
    expect((await call(QUERY)).status).toBe(200);
    expect(requests.filter((request) => request.body === HANG)).toHaveLength(1);
    expect(await Promise.all(hung)).toEqual(['given up', 'given up']);
  });

  it('gives up a request the subgraph does not answer in time, for every caller sharing it, and frees its connection', async () => {
    subject = fetcherWith({ connections: 1, deduplicate: true, timeoutMs: 200 });
    const failure = (response: Promise<unknown>) =>
      response.then(
        () => 'answered',
        (error: ServiceUnavailableError) => [error.extensions.code, (error.cause as Error).message],
      );
    const hung = await Promise.all([failure(call(HANG)), failure(call(HANG))]);
    // Shared: never sent twice (on a loaded machine the time may run out before the server reads it).
    expect(requests.length).toBeLessThanOrEqual(1);
    // The client is told to retry; the log says which subgraph did not answer in time.
    expect(hung).toEqual(Array(2).fill(['SERVICE_UNAVAILABLE', `${new URL(url).origin} did not answer within 200 ms`]));
    // The one pooled connection was the hung request's: it is free again.
    expect((await call(QUERY)).status).toBe(200);
    expect(requests.at(-1)?.body).toBe(QUERY);
    // Each request tells the subgraph how long the gateway waits, so it can stop its work then.
    expect(requests.at(-1)?.headers['x-request-timeout-ms']).toBe('200');
  });

  it("waits no longer than what is left of the caller's operation, and tells the subgraph so", async () => {
    subject = fetcherWith({ connections: 4, deduplicate: true, timeoutMs: 30_000 });
    const left = (ms: number) => ({ 'content-type': 'application/json', 'x-request-timeout-ms': String(ms) });
    const hung = subject.fetcher(url, { method: 'POST', headers: left(150), body: HANG });
    await expect(hung).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
      cause: { message: `${new URL(url).origin} did not answer within 150 ms` },
    });
    await subject.fetcher(url, { method: 'POST', headers: left(150), body: QUERY });
    // Never longer than its own timeout, whatever the operation has left.
    await subject.fetcher(url, { method: 'POST', headers: left(45_000), body: MUTATION });
    const sent = (body: string) => requests.find((request) => request.body === body)?.headers['x-request-timeout-ms'];
    expect([sent(QUERY), sent(MUTATION)]).toEqual(['150', '30000']);
  });

  it("lets a caller sharing another caller's request give up at its own deadline", async () => {
    subject = fetcherWith({ connections: 4, deduplicate: true, timeoutMs: 30_000 });
    const headers = (ms: number) => ({ 'content-type': 'application/json', 'x-request-timeout-ms': String(ms) });
    const first = subject.fetcher(url, { method: 'POST', headers: headers(600), body: HANG });
    const second = subject.fetcher(url, { method: 'POST', headers: headers(100), body: HANG });
    const settled = Promise.allSettled([first, second]);
    const failures: string[] = [];
    first.catch(() => failures.push('first'));
    second.catch(() => failures.push('second'));
    await settled;
    expect(failures).toEqual(['second', 'first']);
    await expect(second).rejects.toMatchObject({ cause: { message: expect.stringMatching(/within 100 ms$/) } });
    expect(requests.length).toBeLessThanOrEqual(1);
  });

  it('does not share a request whose caller gives up sooner: a caller with more time sends its own and is answered', async () => {
    subject = fetcherWith({ connections: 4, deduplicate: true, timeoutMs: 30_000 });
    const headers = (ms: number) => ({ 'content-type': 'application/json', 'x-request-timeout-ms': String(ms) });
    // The subgraph answers after 50 ms: the first caller's 20 ms run out, whatever the machine's load.
    const impatient = subject.fetcher(url, { method: 'POST', headers: headers(20), body: QUERY });
    const patient = subject.fetcher(url, { method: 'POST', headers: headers(10_000), body: QUERY });
    const alsoPatient = subject.fetcher(url, { method: 'POST', headers: headers(5_000), body: QUERY });
    await expect(impatient).rejects.toMatchObject({ cause: { message: expect.stringMatching(/within 20 ms$/) } });
    expect([(await patient).status, (await alsoPatient).status]).toEqual([200, 200]);
    // Two requests: the impatient caller's, and the patient one's, which the third shared.
    expect(requests).toHaveLength(2);
  });

  it('sends a query once more when no subgraph answered it (a reset connection, a proxy 503), and answers from the retry', async () => {
    subject = fetcherWith({ connections: 4, deduplicate: false, retryBudget: new RetryBudget(0.2, 10) });
    for (const body of [RESET_ONCE, PROXY_ONCE]) {
      const response = await call(body);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { n: expect.any(Number) } });
      expect(requests.filter((request) => request.body === body)).toHaveLength(2);
    }
  });

  it('retries no mutation, no request twice, none past the budget, and no request that timed out', async () => {
    const sent = (body: string) => requests.filter((request) => request.body === body).length;
    subject = fetcherWith({ connections: 4, deduplicate: false, retryBudget: new RetryBudget(0.2, 10) });
    await expect(call(RESET_MUTATION)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(sent(RESET_MUTATION)).toBe(1);
    await expect(call(ALWAYS_RESET)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(sent(ALWAYS_RESET)).toBe(2);
    await subject.close();

    requests = [];
    subject = fetcherWith({ connections: 4, deduplicate: false, retryBudget: new RetryBudget(0, 0) });
    await expect(call(ALWAYS_RESET)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(sent(ALWAYS_RESET)).toBe(1);
    await subject.close();

    subject = fetcherWith({
      connections: 4,
      deduplicate: false,
      timeoutMs: 150,
      retryBudget: new RetryBudget(0.2, 10),
    });
    await expect(call(HANG)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    // Given time to arrive, a retry would have.
    await new Promise((done) => setTimeout(done, 200));
    expect(sent(HANG)).toBeLessThanOrEqual(1);
  });
});
