// A client that trickles its request holds a socket and a parser only as long as the read limits
// allow (HEADERS_READ_TIMEOUT, REQUEST_READ_TIMEOUT); answers and WebSockets that outlast them are
// not cut; an idle keep-alive connection stays HTTP_KEEP_ALIVE_TIMEOUT. Raw sockets, since an HTTP
// client would send its request at once and manage its connections itself.
import { connect } from 'node:net';
import { createTestTokens } from '@shop/platform/testing';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gatewayOverRecordingSubgraph, postJson } from '../gateway.test-fixture.js';

const started = gatewayOverRecordingSubgraph({
  HEADERS_READ_TIMEOUT: '300ms',
  REQUEST_READ_TIMEOUT: '600ms',
  HTTP_KEEP_ALIVE_TIMEOUT: '1s',
});
const { subgraph } = started;
/** Well past both limits and Node's check of them, yet far below Node's own defaults (60 s, 5 min). */
const OUTLAST_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `head` and then one more `drip` every 100 ms for up to 10 s, and resolves with what the
 * gateway answered once it closed the socket (or `still open`).
 */
function trickle(head: string, drip: string): Promise<string> {
  const port = new URL(started.base).port;
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
    const dripping = setInterval(() => socket.writable && socket.write(drip), 100);
    const giveUp = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(dripping);
      clearTimeout(giveUp);
      resolve(answer || 'still open');
    });
  });
}

describe('client read timeouts', () => {
  it('answers 408 and closes the socket of a client that sends its headers too slowly', async () => {
    const answer = await trickle('POST /graphql HTTP/1.1\r\nHost: gateway\r\n', 'x-slow: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 and closes the socket of a client that sends its body too slowly', async () => {
    const head =
      'POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const answer = await trickle(`${head}{"query":"`, ' ');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a keep-alive connection idle for HTTP_KEEP_ALIVE_TIMEOUT, not for Node's own 5 s", async () => {
    const socket = connect(Number(new URL(started.base).port), '127.0.0.1');
    socket.on('error', () => {});
    let answered = 0;
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - answered)));
    socket.once('data', () => {
      answered = Date.now();
    });
    socket.write('GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n');
    const idleMs = await closed;
    expect(answered).toBeGreaterThan(0);
    expect(idleMs).toBeGreaterThanOrEqual(900);
    expect(idleMs).toBeLessThan(4_000);
  });

  it('does not time the answer: an operation slower than both limits is answered', async () => {
    subgraph.answer = async () => {
      await sleep(OUTLAST_MS);
      return { data: { products: { edges: [], pageInfo: { hasNextPage: false } } } };
    };
    const { status, body } = await postJson(`${started.base}/graphql`, {
      query: '{ products(first: 1) { edges { node { id } } pageInfo { hasNextPage } } }',
    });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { products: { edges: [], pageInfo: { hasNextPage: false } } } });
  });

  it('keeps a WebSocket open past both limits', async () => {
    const token = await createTestTokens().sign({ id: 'u1', role: 'CUSTOMER' });
    const socket = new WebSocket(`${started.base.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const messages: { type: string }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await expect.poll(() => messages.map((message) => message.type)).toContain('connection_ack');
    await sleep(OUTLAST_MS);
    socket.send(JSON.stringify({ type: 'ping' }));
    await expect.poll(() => messages.map((message) => message.type)).toContain('pong');
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });
});
