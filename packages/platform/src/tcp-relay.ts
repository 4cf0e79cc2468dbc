import { connect, createServer, type Socket } from 'node:net';

/** A TCP relay to a real server, for tests of what a client does when that server stops answering. */
export interface TcpRelay {
  /** Where clients connect instead of the server. */
  port: number;
  /** The server seems hung: what either side sends is held, on open connections and on new ones. */
  stall(): void;
  /** The server answers again: what was held is delivered. */
  resume(): void;
  /** The server is down: every connection is cut, and each new one is closed as it opens, until `resume`. */
  refuse(): void;
  close(): Promise<void>;
}

export async function tcpRelay(targetPort: number, host = '127.0.0.1'): Promise<TcpRelay> {
  let state: 'open' | 'stalled' | 'refusing' = 'open';
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (state === 'refusing') {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      if (state === 'stalled') from.pause();
      from.on('data', (chunk) => to.write(chunk));
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    stall: () => {
      state = 'stalled';
      for (const socket of sockets) socket.pause();
    },
    resume: () => {
      state = 'open';
      for (const socket of sockets) socket.resume();
    },
    refuse: () => {
      state = 'refusing';
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((closed) => server.close(closed));
    },
  };
}

/** A relay to the server of a database URL, and that URL (credentials, options) with the relay in its place. */
export async function relayTo(url: string, defaultPort: number): Promise<{ relay: TcpRelay; url: URL }> {
  const relayed = new URL(url);
  const relay = await tcpRelay(Number(relayed.port || defaultPort), relayed.hostname);
  relayed.host = `127.0.0.1:${relay.port}`;
  return { relay, url: relayed };
}
