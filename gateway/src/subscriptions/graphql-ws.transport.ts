import type { IncomingMessage } from 'node:http';
import type { Logger } from '@shop/platform/core';
import { CloseCode, handleProtocols, type Server } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/** What each graphql-ws context carries of its socket (as graphql-ws's own `ws` glue gives it). */
export interface SocketExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/**
 * What a socket may hold unsent before it is dropped: a client that stops reading (and asks for
 * JSON pongs, or answers pings, to look alive) would otherwise grow the gateway's memory without
 * bound. Far above what a client that reads falls behind by (an answer is a few kB).
 */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
/** At shutdown, how long a peer has to answer the 1001 close before its socket is cut (ws waits 30 s). */
const CLOSE_GRACE_MS = 1_000;

export interface TransportOptions {
  /** A ping every interval; a peer whose pong has not come by the next one is dropped. */
  keepAliveMs: number;
  log: Logger;
  clientIp: (request: IncomingMessage) => string | undefined;
}

/**
 * graphql-ws's protocol (its `makeServer`) on the sockets of `wss`, as its `useServer` does, except
 * for how a client's misbehaviour ends: a frame that breaks the WebSocket protocol, or a message the
 * protocol does not allow from a client (a `connection_ack`, say), is one log line and a close with
 * the fitting code. `useServer` printed a stack with console.error for each, outside the JSON log
 * and as often as a client likes, and closed the second kind as the server's fault (4500).
 */
export function serveGraphqlWs<E extends SocketExtra>(
  wss: WebSocketServer,
  server: Server<E>,
  extra: (socket: WebSocket, request: IncomingMessage) => E,
  options: TransportOptions,
): { dispose: () => Promise<void> } {
  wss.options.handleProtocols = handleProtocols;
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const clientIp = options.clientIp(request);
    // ws has already closed the socket with the fitting code (1009 oversized, 1007 not UTF-8…), or
    // destroyed it on a failed write (EPIPE, ECONNRESET: the client went away).
    socket.on('error', (error: Error & { code?: string }) => {
      options.log.info({ clientIp, code: error.code }, 'websocket closed: the client broke the protocol or went away');
    });
    let pongWait: NodeJS.Timeout | undefined;
    const unread = () => {
      if (socket.bufferedAmount <= MAX_UNSENT_BYTES) return false;
      options.log.info({ clientIp, unsent: socket.bufferedAmount }, 'websocket closed: the client does not read');
      socket.terminate();
      return true;
    };
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN || unread()) return;
      pongWait = setTimeout(() => socket.terminate(), options.keepAliveMs);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, options.keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN || unread()) return resolve();
            // A send that fails is the connection's end, not an error of ours: ws destroys the socket
            // (its error line says why), and its close ends the subscriptions.
            socket.send(data, () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              // graphql-ws throws for a message type a client may not send; anything else is ours.
              if (error instanceof Error && error.message.startsWith('Unexpected message of type')) {
                options.log.info(
                  { clientIp, reason: error.message },
                  'websocket closed: a message the protocol does not allow',
                );
                socket.close(CloseCode.BadRequest, 'Bad request');
                return;
              }
              options.log.error({ err: error, clientIp }, 'websocket message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      extra(socket, request),
    );
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(pings);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      // A peer that does not answer the close (a phone in a tunnel) must not hold the shutdown.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_GRACE_MS);
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
      clearTimeout(cut);
    },
  };
}
