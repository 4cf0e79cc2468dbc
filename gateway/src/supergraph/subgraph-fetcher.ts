import { STATUS_CODES } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { ServiceUnavailableError } from '@shop/platform/core';
import { createGatewayRequestSigner, type GatewayRequestSigner, REQUEST_TIMEOUT_HEADER } from '@shop/platform/http';
import { Agent, Headers, request } from 'undici';
import { subgraphRetries } from '../metrics/gateway-metrics.js';
import { RetryBudget } from './retry-budget.js';

type Fetcher = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'] & {};
type FetcherInit = Parameters<Fetcher>[1];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SubgraphFetcherOptions {
  /** Keep-alive connections per subgraph (origin); requests beyond it queue for a free one. */
  connections: number;
  /** Share one subgraph request among identical queries in flight at the same time. */
  deduplicate: boolean;
  /** Signs each request, so subgraphs believe the `x-client-ip` it carries (and nobody else's). */
  signer: GatewayRequestSigner;
  /**
   * A request not answered in full within this time is given up: a hung subgraph costs its callers
   * an error, not a request and a pooled connection held for minutes (undici's own limits: 300 s).
   */
  timeoutMs: number;
  /**
   * Retries of queries that found no subgraph to answer them (connection refused or reset, a
   * proxy's 502/503/504), once each, within this budget; absent: none. Mutations are never retried,
   * nor a request that timed out (the subgraph is slow, not gone: a retry would add to its load).
   */
  retryBudget?: RetryBudget;
}

/** What a proxy in front of a subgraph answers when it found no replica to ask. */
export const PROXY_FAILURES = new Set([502, 503, 504]);

/** The cause of a SERVICE_UNAVAILABLE when the subgraph did not answer in the time this fetch had. */
export class SubgraphTimeoutError extends Error {
  constructor(origin: string, waitMs: number, options?: ErrorOptions) {
    super(`${origin} did not answer within ${waitMs} ms`, options);
    this.name = 'SubgraphTimeoutError';
  }
}

/** A retry waits this long (jittered), enough for a restarting replica's connections to go elsewhere. */
const RETRY_DELAY_MS = { min: 10, max: 40 };

interface Buffered {
  url: string;
  status: number;
  headers: [string, string][];
  body: string;
}

/**
 * The gateway's HTTP client to its subgraphs, in place of @apollo/gateway's default
 * (make-fetch-happen: a new socket per concurrent request, no bound, HTTP-cache bookkeeping on
 * every call). Connections are kept alive and bounded per subgraph. It uses undici's `request`,
 * not `fetch`: the answer is read whole anyway, and fetch's web streams cost more CPU than the
 * gateway's own query-plan execution when profiled under The Guild's benchmark (BENCHMARKS.md).
 *
 * Deduplication: while a query is in flight, an identical one (same subgraph, same body, same
 * caller: `authorization` and `x-client-ip`) waits for its answer instead of being sent again,
 * unless the one in flight was asked to give up sooner than this one would. Each waiter gets its
 * own copy of the body (the gateway merges fetched data into it). Mutations are never shared.
 */
export interface SubgraphFetcher {
  fetcher: Fetcher;
  close: () => Promise<void>;
}

export interface SubgraphFetcherConfig {
  SUBGRAPH_CONNECTIONS: number;
  SUBGRAPH_DEDUPLICATION: boolean;
  SUBGRAPH_TIMEOUT: number;
  SUBGRAPH_RETRY: boolean;
  GATEWAY_SIGNING_SECRETS: string[];
}

/** The fetcher as the gateway's configuration describes it (the full gateway and plain mode alike). */
export function subgraphFetcherFromConfig(config: SubgraphFetcherConfig): SubgraphFetcher {
  return createSubgraphFetcher({
    connections: config.SUBGRAPH_CONNECTIONS,
    deduplicate: config.SUBGRAPH_DEDUPLICATION,
    signer: createGatewayRequestSigner(config.GATEWAY_SIGNING_SECRETS),
    timeoutMs: config.SUBGRAPH_TIMEOUT,
    // Apollo Router's default budget: a fifth of the requests of the last ten seconds, plus 10 a second.
    ...(config.SUBGRAPH_RETRY ? { retryBudget: new RetryBudget(0.2, 10) } : {}),
  });
}

/** A request in flight that identical ones may share: its answer, and when it gives up waiting. */
interface Shared {
  answer: Promise<Buffered>;
  until: number;
  /** It waits the whole timeout: nobody asked it to give up sooner. */
  full: boolean;
}

export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000 });
  const inFlight = new Map<string, Shared>();

  const send = async (url: string, init: FetcherInit): Promise<Buffered> => {
    const headers = { ...headersOf(init) } as Record<string, string>;
    const body = init?.body as string | undefined;
    const target = new URL(url);
    Object.assign(
      headers,
      options.signer.sign({
        method: init?.method ?? 'GET',
        path: `${target.pathname}${target.search}`,
        clientIp: headers['x-client-ip'] ?? '',
        authorization: headers.authorization ?? '',
        body: body ?? '',
      }),
    );
    // The subgraph stops what it cannot finish before this fetch gives up (platform's request-deadline.ts).
    const waitMs = waitFor(headers, options.timeoutMs);
    const until = Date.now() + waitMs;
    const signal = AbortSignal.timeout(waitMs);
    /** One request, telling the subgraph `leftMs`: all of the wait the first time, what is left on a retry. */
    const attempt = async (leftMs: number): Promise<Buffered> => {
      headers[REQUEST_TIMEOUT_HEADER] = String(leftMs);
      const response = await request(url, {
        method: (init?.method ?? 'GET') as 'GET',
        headers,
        body,
        dispatcher: agent,
        signal,
      });
      const received: [string, string][] = [];
      for (const [name, value] of Object.entries(response.headers)) {
        for (const one of Array.isArray(value) ? value : [value ?? '']) received.push([name, one]);
      }
      return { url, status: response.statusCode, headers: received, body: await response.body.text() };
    };
    options.retryBudget?.deposit();
    let outcome = await settle(attempt(waitMs));
    // A query (never a mutation) that found no subgraph to answer it goes once more, if time and the budget allow.
    const failed = 'error' in outcome ? !signal.aborted : PROXY_FAILURES.has(outcome.answer.status);
    if (failed && options.retryBudget && body && isQuery(body) && until - Date.now() > RETRY_DELAY_MS.max) {
      const allowed = options.retryBudget.withdraw();
      subgraphRetries.inc({ outcome: allowed ? 'sent' : 'over_budget' });
      if (allowed) {
        const { min, max } = RETRY_DELAY_MS;
        await new Promise((done) => setTimeout(done, min + Math.random() * (max - min)));
        outcome = await settle(attempt(Math.max(1, until - Date.now())));
      }
    }
    if ('answer' in outcome) return outcome.answer;
    // Refused, reset or too slow: the client is told to retry (SERVICE_UNAVAILABLE), the log says why.
    const cause = signal.aborted
      ? new SubgraphTimeoutError(target.origin, waitMs, { cause: outcome.error })
      : outcome.error;
    throw new ServiceUnavailableError(cause);
  };

  const fetcher = (async (url: string, init?: FetcherInit) => {
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const key = options.deduplicate && body && isQuery(body) ? dedupeKey(url, init, body) : undefined;
    const waitMs = waitFor(headersOf(init), options.timeoutMs);
    const until = Date.now() + waitMs;
    const shared = key ? inFlight.get(key) : undefined;
    let pending: Promise<Buffered>;
    // Only a request that waits the whole timeout, or at least as long as this caller would, is
    // shared: one whose caller asked for less time gives up sooner, and that early end must not
    // become another caller's timeout (nor count against the subgraph's circuit as theirs). This
    // caller still waits no longer than its own time.
    if (shared && (shared.full || shared.until >= until)) pending = withinWait(shared.answer, waitMs, url);
    else {
      pending = send(url, init);
      if (key) {
        const entry = { answer: pending, until, full: waitMs === options.timeoutMs };
        inFlight.set(key, entry);
        const forget = () => {
          if (inFlight.get(key) === entry) inFlight.delete(key);
        };
        pending.then(forget, forget);
      }
    }
    return bufferedResponse(await pending);
  }) as Fetcher;

  return { fetcher, close: () => agent.close() };
}

/**
 * How long to wait for this request: `timeoutMs`, or less when the operation it serves has less
 * left (the header ForwardingDataSource sets).
 */
function waitFor(headers: Record<string, string | undefined>, timeoutMs: number): number {
  const left = Number(headers[REQUEST_TIMEOUT_HEADER]);
  return Number.isInteger(left) && left > 0 ? Math.min(left, timeoutMs) : timeoutMs;
}

const settle = (pending: Promise<Buffered>): Promise<{ answer: Buffered } | { error: unknown }> =>
  pending.then(
    (answer) => ({ answer }),
    (error: unknown) => ({ error }),
  );

function withinWait(pending: Promise<Buffered>, waitMs: number, url: string): Promise<Buffered> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ServiceUnavailableError(new SubgraphTimeoutError(new URL(url).origin, waitMs)));
    }, waitMs);
  });
  return Promise.race([pending, expired]).finally(() => clearTimeout(timer));
}

/** A response over a body already read: each caller parses its own copy (the gateway merges into it). */
function bufferedResponse(buffered: Buffered): FetcherResponse {
  const status = buffered.status;
  return {
    bodyUsed: false,
    url: buffered.url,
    redirected: false,
    status,
    ok: status >= 200 && status < 300,
    statusText: STATUS_CODES[status] ?? '',
    headers: new Headers(buffered.headers),
    text: async () => buffered.body,
    json: async () => JSON.parse(buffered.body),
    arrayBuffer: async () => new TextEncoder().encode(buffered.body).buffer as ArrayBuffer,
    clone: () => bufferedResponse(buffered),
  };
}

/** The gateway sends `{"query":"…"}` first; an operation that is not a mutation only reads. */
function isQuery(body: string): boolean {
  const start = body.indexOf('"query":"');
  if (start < 0) return false;
  const operation = body.slice(start + 9, start + 18).trimStart();
  return !operation.startsWith('mutation') && !operation.startsWith('subscript');
}

/** The headers @apollo/gateway sends: a plain object with lower-case names. */
const headersOf = (init: FetcherInit) => (init?.headers ?? {}) as Record<string, string | undefined>;

function dedupeKey(url: string, init: FetcherInit, body: string): string {
  const headers = headersOf(init);
  return JSON.stringify([url, headers.authorization ?? '', headers['x-client-ip'] ?? '', body]);
}
