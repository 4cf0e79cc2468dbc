import { fileURLToPath } from 'node:url';
import {
  type Config,
  durationVar,
  LONGEST_DURATION_MS,
  listVar,
  millisecondsVar,
  portVar,
  registrationLimitShape,
  secondsVar,
  wholeNumber,
} from '@shop/platform/core';
import { SIGNATURE_MAX_AGE_MS, tokenVersionShape } from '@shop/platform/http';
import { z } from 'zod';

/** Subgraph name (as in the supergraph) → the variable that replaces its routing URL (e.g. in containers). */
export const ROUTING_VARS = {
  users: 'USERS_URL',
  products: 'PRODUCTS_URL',
  orders: 'ORDERS_URL',
  payments: 'PAYMENTS_URL',
  notifications: 'NOTIFICATIONS_URL',
} as const;
export type RoutingVar = (typeof ROUTING_VARS)[keyof typeof ROUTING_VARS];

const routingUrl = z.string().url().optional();
const routingShape = Object.fromEntries(Object.values(ROUTING_VARS).map((name) => [name, routingUrl])) as Record<
  RoutingVar,
  typeof routingUrl
>;

export const gatewayConfig = {
  GATEWAY_PORT: portVar(3000),
  SUPERGRAPH_PATH: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../supergraph.graphql', import.meta.url))),
  ...routingShape,
  /**
   * Proxies whose X-Forwarded-For is believed, in Express's `trust proxy` syntax: a comma-separated
   * list of addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`. Empty: trust nobody.
   */
  TRUST_PROXY: listVar(),
  /**
   * Largest JSON body accepted on /graphql and /api, in bytes (inflated, when sent compressed). The
   * largest input the rules allow must fit however a client escapes it: a product at every length
   * limit with each character written `\uXXXX` (as Python's json does with non-ASCII) is about
   * 280 KB. 1 MiB, as the subgraphs take; Apollo Router's default is 2 MB.
   */
  BODY_LIMIT_BYTES: wholeNumber(1_048_576),
  /** Answers of 1 KiB and more compressed (br, gzip, deflate) for clients that accept it (response-compression.ts). */
  RESPONSE_COMPRESSION: z.stringbool().default(true),
  // GRAPHQL_MAX_* (depth, cost, aliases, directives, tokens) are platform settings: subgraphs apply them too.
  /** graphql-ws: server pings every so often and drops peers that stop answering. */
  WS_KEEP_ALIVE_MS: millisecondsVar(12_000, 100, LONGEST_DURATION_MS),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: wholeNumber(20),
  /** Open sockets per client address (refused with HTTP 429 at the upgrade) and per signed-in user (closed with 4429). */
  WS_MAX_CONNECTIONS_PER_IP: wholeNumber(20),
  WS_MAX_CONNECTIONS_PER_USER: wholeNumber(10),
  /** Subscriptions over Server-Sent Events (`/graphql/stream`): open streams per client address and per signed-in user (HTTP 429). */
  SSE_MAX_STREAMS_PER_IP: wholeNumber(20),
  SSE_MAX_STREAMS_PER_USER: wholeNumber(20),
  /** A stream whose last event is still unsent after this long is cut: its client does not read. */
  SSE_STALLED_WRITE_MS: millisecondsVar(60_000, 100, LONGEST_DURATION_MS),
  /**
   * A socket must send `connection_init` within this time; an anonymous one is closed this long
   * after it, since no subscription is open to anonymous callers.
   */
  WS_CONNECTION_INIT_TIMEOUT_MS: millisecondsVar(3_000, 100, LONGEST_DURATION_MS),
  /** `register` / `login` per client address and window (each costs an argon2 hash behind the gateway). */
  ...registrationLimitShape,
  LOGIN_LIMIT_PER_IP: wholeNumber(30),
  LOGIN_LIMIT_WINDOW_SECONDS: secondsVar(60, 1, LONGEST_DURATION_MS / 1_000),
  /**
   * Cost points (as GRAPHQL_MAX_COST counts them) each client may spend per window on /graphql and
   * /api: a signed-in client by account, an anonymous one by address (client-budget.plugin.ts).
   * At least GRAPHQL_MAX_COST, or the costliest allowed operation could never run; 0 turns it off.
   */
  CLIENT_COST_BUDGET: wholeNumber(200_000, { min: 0 }),
  CLIENT_COST_WINDOW: durationVar('1m'),
  /** TOKEN_VERSION_CACHE_MS: how long a revoked access token may still pass the gateway. */
  ...tokenVersionShape,
  /** Keep-alive connections held open to each subgraph; requests beyond them wait for a free one. */
  SUBGRAPH_CONNECTIONS: wholeNumber(64),
  /**
   * How long one subgraph request may take, answer read in full, before it fails (Apollo Router's
   * default too). At most a minute: a fetch is signed once, its retry included, and subgraphs take
   * no signature older than that (a later one would lose its client address).
   */
  SUBGRAPH_TIMEOUT: durationVar('30s', 1, SIGNATURE_MAX_AGE_MS),
  /**
   * How long one client request (an operation, a REST call, a subscription's query) may take in all:
   * its subgraph fetches share it. A client may ask for less with `x-request-timeout-ms`.
   */
  REQUEST_TIMEOUT: durationVar('30s', 1),
  /**
   * How long a client may take to send a request's headers, and the whole request with its body,
   * before it is answered 408 and its socket closed: a client trickling bytes holds a socket and a
   * parser only this long (Node's own defaults are 60 s and 5 min; Apollo Router reads headers
   * within 10 s). Answers, streams and WebSockets are not timed by these.
   */
  HEADERS_READ_TIMEOUT: durationVar('10s', 100),
  REQUEST_READ_TIMEOUT: durationVar('30s', 100),
  /** A query that found no subgraph to answer it (refused, reset, a proxy's 502/503/504) is sent once more, within a retry budget. */
  SUBGRAPH_RETRY: z.stringbool().default(true),
  /**
   * A subgraph that failed more than SUBGRAPH_CIRCUIT_ERROR_PERCENT of at least
   * SUBGRAPH_CIRCUIT_MIN_CALLS calls within SUBGRAPH_CIRCUIT_WINDOW (no answer, a proxy's
   * 502/503/504, its own timeout) is refused calls for SUBGRAPH_CIRCUIT_OPEN (SERVICE_UNAVAILABLE,
   * no request sent), then probed with one.
   */
  SUBGRAPH_CIRCUIT_BREAKER: z.stringbool().default(true),
  SUBGRAPH_CIRCUIT_MIN_CALLS: wholeNumber(20),
  SUBGRAPH_CIRCUIT_ERROR_PERCENT: wholeNumber(50, { max: 100 }),
  SUBGRAPH_CIRCUIT_WINDOW: durationVar('10s'),
  SUBGRAPH_CIRCUIT_OPEN: durationVar('5s'),
  /** Identical subgraph queries in flight at the same time, for the same caller, share one request. */
  SUBGRAPH_DEDUPLICATION: z.stringbool().default(true),
  /** Identical queries in flight at the same time, from the same caller, execute once (operation-coalescing.plugin.ts). */
  OPERATION_COALESCING: z.stringbool().default(true),
  /** Memory for query plans, in MiB (@apollo/gateway's default: 30). */
  QUERY_PLAN_CACHE_MIB: wholeNumber(30),
  /** Memory for cached public responses (catalogue queries), in MiB per process; 0 turns the cache off. */
  RESPONSE_CACHE_MIB: wholeNumber(64, { min: 0 }),
  /** Gateway processes sharing GATEWAY_PORT (Node cluster); 1: this process serves alone. */
  GATEWAY_WORKERS: wholeNumber(1),
  /** Trusted documents: the apps' Apollo persisted query manifest (`pnpm persisted:manifest` makes the tracker's). */
  PERSISTED_DOCUMENTS_PATH: z.string().min(1).optional(),
  /** Allowlist mode: `/graphql` runs only the manifest's documents (by id, or the same text). */
  PERSISTED_DOCUMENTS_ONLY: z.stringbool().default(false),
  /** Prometheus `/metrics`, on its own listener: keep this port off the public load balancer. */
  METRICS_PORT: portVar(9464),
  /** Interface of the metrics listener (e.g. 127.0.0.1 or a private address); unset: every interface. */
  METRICS_HOST: z.string().min(1).optional(),
};

export type GatewayConfig = Config<typeof gatewayConfig>;

/** Subgraph name (as in the supergraph) → routing URL override. */
export function routingOverrides(config: GatewayConfig): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(ROUTING_VARS).map(([subgraph, name]) => [subgraph, config[name]]));
}
