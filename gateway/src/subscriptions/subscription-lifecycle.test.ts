import { SHUTDOWN_TIMEOUT_MS } from '@shop/platform/core';
import { createTestTokens, rawExchange, recordingLogger } from '@shop/platform/testing';
import { type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../create-gateway.js';
import { RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';
import { subscriptionClient } from './subscription.test-client.js';

const MAX_PER_CONNECTION = 5;
const subgraph = new RecordingSubgraph();
let gateway: Gateway;
let base: string;
let token: string;

beforeAll(async () => {
  const url = await subgraph.start();
  // Every order exists and is the caller's: the orders subgraph's answer to the authorizing query.
  subgraph.answer = () => ({ data: { orderStatusChanged: { id: 'o1' }, order: { id: 'o1' } } });
  // The default keep-alive: a short one terminates sockets whose pong is late, and a busy
  // machine delays pongs (the ping test below has a gateway of its own with a short one).
  const started = await startGateway(url, {
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(MAX_PER_CONNECTION),
    // One user at one address opens 50 sockets at a time here.
    WS_MAX_CONNECTIONS_PER_IP: '100',
    WS_MAX_CONNECTIONS_PER_USER: '100',
  });
  gateway = started.gateway;
  base = started.base;
  const tokens = createTestTokens();
  token = await tokens.sign({ id: 'u1', role: 'CUSTOMER' });
});
afterAll(async () => {
  await gateway?.close();
  await subgraph.close();
});

const connect = (): Client => subscriptionClient(base, token, { lazy: false, onNonLazyError: () => {} });

/** Subscribes; resolves with the errors if the server refuses, stays pending while it is live. */
const watch = (client: Client, orderId: string) =>
  new Promise<unknown>((resolve) => {
    client.subscribe(
      { query: `subscription { orderStatusChanged(orderId: "${orderId}") { id } }` },
      { next: () => {}, error: resolve, complete: () => resolve('complete') },
    );
  });

const zero = { connections: 0, subscriptions: 0, feedListeners: 0 };

describe('graphql-ws connections', () => {
  it('pings every keep-alive interval', async () => {
    const own = await startGateway(subgraph.url(), { WS_KEEP_ALIVE_MS: '200' });
    try {
      const socket = new WebSocket(`${own.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      let pings = 0;
      socket.on('ping', () => {
        pings++;
      });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await vi.waitFor(() => expect(pings).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
      socket.close();
    } finally {
      await own.gateway.close();
    }
  });

  it('closes a socket with 1009 on a message over 64 KiB, as a subscription with undeclared variables of 100 kB', async () => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    const query = 'subscription { orderStatusChanged(orderId: "o1") { id } }';
    socket.send(
      JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { junk: 'x'.repeat(100_000) } } }),
    );
    expect(await closed).toBe(1009);
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toEqual(zero), { timeout: 10_000 });
  });

  it('logs a frame that breaks the protocol as one JSON line, not a stack on the console', async () => {
    const { log, lines } = recordingLogger();
    const own = await startGateway(subgraph.url(), {}, log);
    const consoleError = vi.spyOn(console, 'error');
    try {
      const socket = new WebSocket(`${own.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.send(Buffer.from([0xff, 0xfe]), { binary: false }); // text that is not UTF-8
      expect(await closed).toBe(1007);
      await vi.waitFor(() =>
        expect(lines).toContainEqual(
          expect.objectContaining({ level: 30, code: 'WS_ERR_INVALID_UTF8', msg: expect.stringMatching(/protocol/) }),
        ),
      );
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
      await own.gateway.close();
    }
  });

  it('closes a socket with 4400 on a message a client may not send, logged as one JSON line, not a stack', async () => {
    const { log, lines } = recordingLogger();
    const own = await startGateway(subgraph.url(), {}, log);
    const consoleError = vi.spyOn(console, 'error');
    try {
      const socket = new WebSocket(`${own.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      socket.send(JSON.stringify({ type: 'connection_ack' })); // the server's message, not a client's
      expect(await closed).toBe(4400);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 30, msg: expect.stringMatching(/protocol does not allow/) }),
      );
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
      await own.gateway.close();
    }
  });

  it('answers 404 to an upgrade whose target is no URL (//a:b/graphql), and goes on serving', async () => {
    const upgrade =
      'GET //a:b/graphql HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    expect(await rawExchange(Number(new URL(base).port), upgrade)).toMatch(/^HTTP\/1\.1 404 /);
    const client = connect();
    try {
      const live = watch(client, 'o-after-bad-upgrade');
      await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBeGreaterThanOrEqual(1));
      expect(await Promise.race([live, 'live'])).toBe('live');
    } finally {
      await client.dispose();
    }
  });

  it('refuses subscriptions past the per-connection limit', async () => {
    const client = connect();
    for (let i = 0; i < MAX_PER_CONNECTION; i++) void watch(client, `o${i}`);
    await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(MAX_PER_CONNECTION), {
      timeout: 10_000,
    });
    const refused = await watch(client, 'one-too-many');
    expect(refused).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
    expect(gateway.subscriptionStats().subscriptions).toBe(MAX_PER_CONNECTION);
    await client.dispose();
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toEqual(zero), { timeout: 10_000 });
  });

  /**
   * Runs `act` on a signed-in raw socket while every authorizing query waits (each subscription it
   * asks for is still starting), then lets them answer, and expects nothing left open after.
   */
  const whileStarting = async (
    act: (socket: WebSocket, messages: unknown[], closed: Promise<number>) => Promise<void>,
  ): Promise<void> => {
    const answer = subgraph.answer;
    let resume = () => {};
    const held = new Promise<void>((resolve) => {
      resume = resolve;
    });
    subgraph.answer = async (call) => {
      await held;
      return answer(call);
    };
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await vi.waitFor(() => expect(messages).toContainEqual({ type: 'connection_ack' }));
      await act(socket, messages, closed);
    } finally {
      subgraph.answer = answer;
      resume();
      socket.close();
    }
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toEqual(zero), { timeout: 10_000 });
  };
  const subscribe = (id: string, orderId = id) =>
    JSON.stringify({
      id,
      type: 'subscribe',
      payload: { query: `subscription { orderStatusChanged(orderId: "${orderId}") { id } }` },
    });

  it('counts a subscription the client completes while it is starting, until its start is over', async () => {
    await whileStarting(async (socket, messages) => {
      for (let n = 0; n < MAX_PER_CONNECTION; n++) {
        socket.send(subscribe(`starting-${n}`));
        socket.send(JSON.stringify({ id: `starting-${n}`, type: 'complete' }));
      }
      socket.send(subscribe('one-more'));
      await vi.waitFor(() =>
        expect(messages).toContainEqual({
          id: 'one-more',
          type: 'error',
          payload: [expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })],
        }),
      );
    });
  });

  it('closes with 4409 a socket that subscribes an id again while its first start runs, and leaves nothing open', async () => {
    await whileStarting(async (socket, _messages, closed) => {
      // Completed and asked again while the first authorizing query waits: without the refusal both
      // start under one id, and the first stream outlives the socket.
      socket.send(subscribe('again', 'o-again'));
      socket.send(JSON.stringify({ id: 'again', type: 'complete' }));
      socket.send(subscribe('again', 'o-again'));
      const code = await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('open'), 2_000))]);
      expect(code).toBe(4409);
    });
  });

  it('applies the GraphQL limits to subscriptions, before any subgraph call', async () => {
    const client = connect();
    const before = subgraph.calls.length;
    const deep =
      'user { orders { edges { node { user { orders { edges { node { items { product { id } } } } } } } } } }';
    const refused = await new Promise((resolve) => {
      client.subscribe(
        { query: `subscription { orderStatusChanged(orderId: "o1") { ${deep} } }` },
        { next: () => {}, error: resolve, complete: () => resolve('complete') },
      );
    });
    expect(refused).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    expect(subgraph.calls.length).toBe(before);
    // Within the depth limit, but a page of 100 (in a variable) of each order's items costs too much.
    const costly = await new Promise((resolve) => {
      client.subscribe(
        {
          query:
            'subscription ($n: Int) { orderStatusChanged(orderId: "o1") { user { orders(first: $n) { edges { node { items { product { id name price } } } } } } } }',
          variables: { n: 100 },
        },
        { next: () => {}, error: resolve, complete: () => resolve('complete') },
      );
    });
    expect(costly).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/cost/i),
        extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
      }),
    ]);
    expect(subgraph.calls.length).toBe(before);
    await client.dispose();
  });

  it('leaves no connection, subscription or listener behind after 1,000 subscribe/disconnect cycles', async () => {
    const BATCH = 50;
    for (let batch = 0; batch < 1_000 / BATCH; batch++) {
      const clients = Array.from({ length: BATCH }, connect);
      clients.forEach((client, i) => void watch(client, `order-${batch}-${i}`));
      // Half the batches leave while their subscriptions are live, half while they are still starting.
      if (batch % 2 === 0) {
        await vi.waitFor(() => expect(gateway.subscriptionStats().subscriptions).toBe(BATCH), { timeout: 10_000 });
        expect(gateway.subscriptionStats().feedListeners).toBe(BATCH);
      }
      await Promise.all(clients.map((client) => client.dispose()));
    }
    await vi.waitFor(() => expect(gateway.subscriptionStats()).toEqual(zero), { timeout: 10_000 });
  }, 120_000);

  it('drops a socket whose client stops reading, however alive it looks (JSON pings, pongs of its own)', async () => {
    const { log, lines } = recordingLogger();
    const own = await startGateway(subgraph.url(), {}, log);
    const socket = new WebSocket(`${own.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const flood = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      // Each JSON ping is answered with a pong this client never reads.
      for (let i = 0; i < 5_000; i++) socket.send('{"type":"ping"}');
      socket.pong();
    }, 20);
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await new Promise((resolve) => socket.once('message', resolve));
      (socket as unknown as { _socket: { pause: () => void } })._socket.pause();
      // The kernel's socket buffers fill first (several MB on loopback), then the 4 MiB: seconds,
      // more on a loaded machine.
      await vi.waitFor(
        () =>
          expect(lines).toContainEqual(
            expect.objectContaining({ level: 30, msg: 'websocket closed: the client does not read' }),
          ),
        { timeout: 60_000, interval: 200 },
      );
      await vi.waitFor(() => expect(own.gateway.subscriptionStats().connections).toBe(0));
      // The sends cut short by the drop are not errors of the gateway's.
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      clearInterval(flood);
      socket.terminate();
      await own.gateway.close();
    }
  }, 90_000);

  it('shuts down within its deadline while a peer never answers the 1001 close', async () => {
    const own = await startGateway(subgraph.url());
    const socket = new WebSocket(`${own.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await new Promise((resolve) => socket.once('message', resolve));
      // Reads nothing more: the close frame is never answered (ws would wait 30 s for it).
      (socket as unknown as { _socket: { pause: () => void } })._socket.pause();
      const started = Date.now();
      await own.gateway.close();
      expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2);
    } finally {
      socket.terminate();
    }
  }, 60_000);

  it('closes live sockets with 1001 Going Away on shutdown', async () => {
    const own = await startGateway(subgraph.url());
    const socket = new WebSocket(`${own.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await own.gateway.close();
    expect(await closed).toBe(1001);
  });
});
