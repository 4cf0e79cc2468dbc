import { type Client, type ClientOptions, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A graphql-ws client of the gateway at `gatewayUrl` (its HTTP base, `http://host:port`), signed
 * in with `token` when one is given, that never reconnects: a test sees every close as it happened.
 */
export function subscriptionClient(
  gatewayUrl: string,
  token?: string,
  options: Partial<Omit<ClientOptions, 'url' | 'connectionParams'>> = {},
): Client {
  return createClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    ...options,
  });
}
