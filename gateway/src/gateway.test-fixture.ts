import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { orderUpdated } from '@shop/events';
import { type Logger, parseConfig } from '@shop/platform/core';
import { TEST_AMQP_URL as AMQP_URL, silentLogger, TEST_JWT_SECRET } from '@shop/platform/testing';
import { afterAll, beforeAll } from 'vitest';
import { gatewayConfig } from './config.js';
import { createGateway, type Gateway } from './create-gateway.js';

export const JWT_SECRET = TEST_JWT_SECRET;
const SUPERGRAPH = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));

export interface SubgraphCall {
  headers: IncomingHttpHeaders;
  body: { query?: string; variables?: Record<string, unknown> };
}

/**
 * A tiny real HTTP peer standing in for every subgraph of the repository's supergraph: it records
 * what the gateway sends and answers what the test says. Proves what does (not) reach subgraphs.
 */
export class RecordingSubgraph {
  readonly calls: SubgraphCall[] = [];
  /** What to answer (may wait, to keep a request in flight). */
  answer: (call: SubgraphCall) => unknown = () => ({ data: null });
  /** The HTTP status of every answer. */
  status = 200;
  /** Headers of every answer (a `cache-control` hint, say). */
  headers: Record<string, string> = {};
  /** Token versions of accounts (revocation check); any other account exists at version 0. */
  readonly tokenVersions = new Map<string, number>();
  /** While set, token version lookups wait for it (a slow users subgraph). */
  tokenVersionsHold: Promise<void> | undefined;
  /** Token version lookups asked so far. */
  tokenVersionLookups = 0;
  private readonly server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', async () => {
      const call = { headers: req.headers, body: raw ? JSON.parse(raw) : {} };
      // The gateway's token revocation check, answered as the users subgraph would.
      if (isTokenVersionsCall(call)) {
        this.tokenVersionLookups++;
        await this.tokenVersionsHold;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(this.tokenVersionsAnswer(call)));
        return;
      }
      this.calls.push(call);
      const answer = await this.answer(call);
      res.statusCode = this.status;
      for (const [name, value] of Object.entries(this.headers)) res.setHeader(name, value);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });

  private tokenVersionsAnswer(call: SubgraphCall) {
    const userIds = (call.body.variables?.userIds ?? []) as string[];
    return {
      data: { tokenVersions: userIds.map((userId) => ({ userId, version: this.tokenVersions.get(userId) ?? 0 })) },
    };
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url();
  }

  url(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/graphql`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const isTokenVersionsCall = (call: SubgraphCall) => call.body.query?.includes('tokenVersions(') === true;

/**
 * Stands in for the users subgraph's `tokenVersions` only (for a gateway whose users subgraph is
 * not running): every account exists at version 0, so tokens signed without `ver` pass.
 */
export async function startUnrevokedTokenVersions(): Promise<{ url: string; close: () => Promise<void> }> {
  const subgraph = new RecordingSubgraph();
  const url = await subgraph.start();
  return { url, close: () => subgraph.close() };
}

/** A gateway with the test settings (`env` adds to or overrides them), listening on a free port. */
/**
 * The exchange of the gateways these tests start, and of the events the tests publish to them: not
 * the e2e stack's `shop.events` on the same test broker, whose consumers would take their made-up
 * orders for real ones.
 */
export const TEST_EXCHANGE = 'test.gateway.events';

export async function startTestGateway(
  env: Record<string, string>,
  log: Logger = silentLogger,
): Promise<{ gateway: Gateway; port: number; base: string }> {
  const config = parseConfig(gatewayConfig, {
    NODE_ENV: 'test',
    JWT_SECRET,
    GATEWAY_SIGNING_SECRETS: 'test-gateway-signing-secret-long-enough',
    AMQP_URL,
    AMQP_EXCHANGE: TEST_EXCHANGE,
    ...env,
  });
  const gateway = await createGateway({ config, log });
  const port = await gateway.listen(0);
  return { gateway, port, base: `http://127.0.0.1:${port}` };
}

/** A gateway on the repository's supergraph with every subgraph routed to `subgraphUrl`. */
export function startGateway(
  subgraphUrl: string,
  env: Record<string, string> = {},
  log: Logger = silentLogger,
): Promise<{ gateway: Gateway; base: string }> {
  return startTestGateway(
    {
      SUPERGRAPH_PATH: SUPERGRAPH,
      USERS_URL: subgraphUrl,
      PRODUCTS_URL: subgraphUrl,
      ORDERS_URL: subgraphUrl,
      PAYMENTS_URL: subgraphUrl,
      NOTIFICATIONS_URL: subgraphUrl,
      ...env,
    },
    log,
  );
}

/** A gateway in front of one RecordingSubgraph, as a test file uses it; read the fields in tests. */
export interface GatewayOverSubgraph {
  subgraph: RecordingSubgraph;
  subgraphUrl: string;
  gateway: Gateway;
  base: string;
}

/**
 * This test file's gateway over one RecordingSubgraph, started before its tests and closed after
 * them. Set the subgraph's `answer` at any time: it is read per request.
 */
export function gatewayOverRecordingSubgraph(
  env: Record<string, string> = {},
  log: Logger = silentLogger,
): GatewayOverSubgraph {
  const started = { subgraph: new RecordingSubgraph() } as GatewayOverSubgraph;
  beforeAll(async () => {
    started.subgraphUrl = await started.subgraph.start();
    Object.assign(started, await startGateway(started.subgraphUrl, env, log));
  });
  afterAll(async () => {
    await started.gateway?.close();
    await started.subgraph.close();
  });
  return started;
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read the JSON answers freely
export type Json = any;

/** POSTs `body` (JSON-encoded unless already a string) and reads the JSON answer. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The `order.updated` of a payment (PENDING → PAID) of order `orderId`, placed by user u1. */
export const orderPaid = (orderId: string) =>
  orderUpdated.create({ orderId, userId: 'u1', previousStatus: 'PENDING', status: 'PAID', paymentStatus: 'SUCCEEDED' });
