import { createTestTokens, freePort, recordingLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway, startTestGateway } from '../gateway.test-fixture.js';
import { TRY_AGAIN_LATER } from './use-subscriptions.js';

const subgraph = new RecordingSubgraph();
const tokens = createTestTokens();
let gateway: Gateway;
let wsUrl: string;

beforeAll(async () => {
  const url = await subgraph.start();
  const started = await startGateway(url, {
    TRUST_PROXY: 'loopback',
    WS_MAX_CONNECTIONS_PER_IP: '3',
    WS_MAX_CONNECTIONS_PER_USER: '2',
    WS_CONNECTION_INIT_TIMEOUT_MS: '300',
  });
  gateway = started.gateway;
  wsUrl = `${started.base.replace('http', 'ws')}/graphql`;
});
afterAll(async () => {
  await gateway?.close();
  await subgraph.close();
});

/** Opens a graphql-ws socket as the client at `ip`; resolves once open, or with the refusal's HTTP status. */
const open = (ip: string, url = wsUrl) =>
  new Promise<WebSocket | number>((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': ip } });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
  });
const socketOf = async (ip: string, url = wsUrl) => {
  const socket = await open(ip, url);
  if (typeof socket === 'number') throw new Error(`refused with ${socket}`);
  return socket;
};
const closed = (socket: WebSocket) =>
  new Promise<number>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(-1);
    socket.once('close', (code) => resolve(code));
  });
/** Sends connection_init; resolves with `ack` or the close code. */
const init = (socket: WebSocket, authorization?: string) =>
  new Promise<'ack' | number>((resolve) => {
    socket.once('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve('ack');
    });
    socket.once('close', (code) => resolve(code));
    socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
  });

describe('websocket connection limits', () => {
  it('caps open sockets per client address: the next upgrade is refused with 429, a closed one frees a place', async () => {
    const sockets = [await socketOf('203.0.113.20'), await socketOf('203.0.113.20'), await socketOf('203.0.113.20')];
    expect(await open('203.0.113.20')).toBe(429);
    const other = await socketOf('203.0.113.21');
    const first = sockets[0] as WebSocket;
    const gone = closed(first);
    first.close();
    await gone;
    // The server sees the close a moment after the client: retry until the place is free.
    let again = await open('203.0.113.20');
    for (let tries = 0; typeof again === 'number' && tries < 50; tries++) {
      await new Promise((done) => setTimeout(done, 20));
      again = await open('203.0.113.20');
    }
    expect(again).toBeInstanceOf(WebSocket);
    for (const socket of [...sockets.slice(1), other, again as WebSocket]) socket.close();
  });

  it('caps open sockets per user: the connection past the limit is closed with 4429', async () => {
    const authorization = `Bearer ${await tokens.sign({ id: 'user-many', role: 'CUSTOMER' })}`;
    const sockets = await Promise.all(['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip) => socketOf(ip)));
    const [a, b, c] = sockets as [WebSocket, WebSocket, WebSocket];
    expect(await init(a, authorization)).toBe('ack');
    expect(await init(b, authorization)).toBe('ack');
    expect(await init(c, authorization)).toBe(4429);
    a.close();
    b.close();
  });

  it("gives back the user's place of a socket that closed while its token was being checked", async () => {
    // A gateway of its own, so that its count of open sockets is this test's alone.
    const own = await startGateway(subgraph.url(), { WS_MAX_CONNECTIONS_PER_USER: '2' });
    const url = `${own.base.replace('http', 'ws')}/graphql`;
    const authorization = `Bearer ${await tokens.sign({ id: 'user-gone-early', role: 'CUSTOMER' })}`;
    let resume = () => {};
    subgraph.tokenVersionsHold = new Promise((resolve) => {
      resume = resolve;
    });
    try {
      const lookups = subgraph.tokenVersionLookups;
      const leaving = await socketOf('198.51.100.10', url);
      leaving.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
      await vi.waitFor(() => expect(subgraph.tokenVersionLookups).toBeGreaterThan(lookups));
      leaving.close();
      // The gateway has seen the socket close before the users subgraph answers.
      await vi.waitFor(() => expect(own.gateway.subscriptionStats().connections).toBe(0));
      subgraph.tokenVersionsHold = undefined;
      resume();
      const [a, b] = [await socketOf('198.51.100.11', url), await socketOf('198.51.100.12', url)];
      expect(await init(a, authorization)).toBe('ack');
      expect(await init(b, authorization)).toBe('ack');
      a.close();
      b.close();
    } finally {
      subgraph.tokenVersionsHold = undefined;
      resume();
      await own.gateway.close();
    }
  });

  it("closes a user's sockets whose token was revoked (4403) when the user has no place left, and lets the new one in", async () => {
    // A gateway of its own, believing no token version for any time, so the revocation counts at once.
    const own = await startGateway(subgraph.url(), { WS_MAX_CONNECTIONS_PER_USER: '2', TOKEN_VERSION_CACHE_MS: '0' });
    const url = `${own.base.replace('http', 'ws')}/graphql`;
    const stolen = `Bearer ${await tokens.sign({ id: 'user-robbed', role: 'CUSTOMER', tokenVersion: 0 })}`;
    try {
      const [a, b] = [await socketOf('198.51.100.20', url), await socketOf('198.51.100.21', url)];
      expect([await init(a, stolen), await init(b, stolen)]).toEqual(['ack', 'ack']);
      // While the token holds, its sockets keep the user's places.
      expect(await init(await socketOf('198.51.100.22', url), stolen)).toBe(4429);
      // The owner signs out everywhere, then connects with a new token.
      subgraph.tokenVersions.set('user-robbed', 1);
      const fresh = `Bearer ${await tokens.sign({ id: 'user-robbed', role: 'CUSTOMER', tokenVersion: 1 })}`;
      const gone = [closed(a), closed(b)];
      const owner = await socketOf('198.51.100.23', url);
      expect(await init(owner, fresh)).toBe('ack');
      expect(await Promise.all(gone)).toEqual([4403, 4403]);
      owner.close();
    } finally {
      subgraph.tokenVersions.delete('user-robbed');
      await own.gateway.close();
    }
  });

  it('closes an anonymous socket after the connection-init timeout, and one that never says hello', async () => {
    // Signed in before the anonymous one: still open when the anonymous one's time is up (the sentinel).
    const member = await socketOf('192.0.2.52');
    expect(await init(member, `Bearer ${await tokens.sign({ id: 'user-stays', role: 'CUSTOMER' })}`)).toBe('ack');
    const anonymous = await socketOf('192.0.2.50');
    const anonymousClosed = closed(anonymous);
    expect(await init(anonymous)).toBe('ack');
    expect(await anonymousClosed).toBe(4401);
    expect(member.readyState).toBe(WebSocket.OPEN);
    const silent = await socketOf('192.0.2.51');
    expect(await closed(silent)).toBe(4408);
    member.close();
  });
});

describe('websocket authentication at connection_init', () => {
  it('closes the socket of an invalid or a revoked token with 4403 Forbidden', async () => {
    expect(await init(await socketOf('192.0.2.60'), 'Bearer not.a.token')).toBe(4403);
    subgraph.tokenVersions.set('user-revoked', 1);
    const revoked = await tokens.sign({ id: 'user-revoked', role: 'CUSTOMER', tokenVersion: 0 });
    expect(await init(await socketOf('192.0.2.61'), `Bearer ${revoked}`)).toBe(4403);
  });

  it('closes with 1013 Try Again Later, not 4403, and logs the error when the token cannot be checked (users subgraph down)', async () => {
    const { log, lines } = recordingLogger('error', 'gateway');
    // Nothing listens there: every token version lookup fails.
    const own = await startTestGateway({ USERS_URL: `http://127.0.0.1:${await freePort()}/graphql` }, log);
    try {
      const socket = await socketOf('192.0.2.62', `${own.base.replace('http', 'ws')}/graphql`);
      const token = await tokens.sign({ id: 'user-unchecked', role: 'CUSTOMER', tokenVersion: 0 });
      // A graphql-ws client retries 1013; 4500 (and 4403 after its retries) would end its subscriptions for good.
      expect(await init(socket, `Bearer ${token}`)).toBe(TRY_AGAIN_LATER);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'websocket authentication failed' }));
    } finally {
      await own.gateway.close();
    }
  });
});
