// Where the end-to-end stack listens. Ports differ from the dev defaults (3000–3005) so the
// suite can run while `pnpm dev` is up; databases and the RabbitMQ vhost are test-only.
// E2E_PORT_BASE moves the whole stack (with TEST_AMQP_URL on another vhost, two runs can coexist).

import { stackAddressEnv, stackPorts } from '../../scripts/stack.js';

export const PORTS = stackPorts(Number(process.env.E2E_PORT_BASE ?? 4000));
export const GATEWAY = `http://127.0.0.1:${PORTS.gateway}`;
/** A process's log in .infra/logs: e2e-<service>.log, or e2e-<port>-<service>.log for a stack moved by E2E_PORT_BASE. */
export const stackLogName = (service: string) =>
  PORTS.gateway === 4000 ? `e2e-${service}.log` : `e2e-${PORTS.gateway}-${service}.log`;
export const ADMIN = { email: 'admin@e2e.test', password: 'admin-password-e2e' };
/** UNPAID_ORDERS_PER_CUSTOMER of the stack's products process. */
export const UNPAID_ORDER_LIMIT = 40;

export const stackEnv = (runId: string): Record<string, string> => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  JWT_SECRET: 'e2e-secret-which-is-long-enough-for-hs256',
  GATEWAY_SIGNING_SECRETS: 'e2e-gateway-signing-secret-long-enough',
  MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  MONGO_DB_PREFIX: `e2e_${runId}`,
  DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop_test',
  AMQP_URL: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/shop_test',
  // Queue names are fixed per service, so the exchange (and its dead-letter exchange) must be too.
  AMQP_EXCHANGE: 'shop.events',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  // Every test calls from 127.0.0.1: the fuzzers' failed logins must not lock the other files out.
  LOGIN_MAX_FAILURES_PER_IP: '100000',
  // Likewise the gateway's and users' per-address limits: every file registers, logs in and subscribes from here.
  REGISTER_LIMIT_PER_IP: '100000',
  LOGIN_LIMIT_PER_IP: '100000',
  PASSWORD_RESET_LIMIT_PER_IP: '100000',
  // Reset links open the gateway's own page (the tracker at /reset-password), as docker compose's do.
  PASSWORD_RESET_URL: `${GATEWAY}/reset-password`,
  EMAIL_VERIFICATION_URL: `${GATEWAY}/verify-email`,
  WS_MAX_CONNECTIONS_PER_IP: '100000',
  WS_MAX_CONNECTIONS_PER_USER: '100000',
  // The fuzzers alone spend far more than one client's budget (per address, and one account each).
  CLIENT_COST_BUDGET: '1000000000',
  // The authorization matrix's one owner places a fresh unpaid order for most of its probes.
  UNPAID_ORDERS_PER_CUSTOMER: String(UNPAID_ORDER_LIMIT),
  ...stackAddressEnv(PORTS),
});

export interface GraphqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export async function graphql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphqlResult<T>> {
  const response = await fetch(`${GATEWAY}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphqlResult<T>;
}

/** Like graphql() but fails the test with the errors when there are any. */
export async function graphqlOk<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const result = await graphql<T>(query, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** The stack's admin (the account ensured at start), signed in: its access token. */
export async function signInAdmin(): Promise<string> {
  const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { token } }';
  return (await graphqlOk<{ login: { token: string } }>(LOGIN, { input: ADMIN })).login.token;
}

/** A newly registered customer (no phone) of a unique address: its access token, id and email. */
export interface Customer {
  token: string;
  id: string;
  email: string;
}

export async function registerCustomer(name: string): Promise<Customer> {
  const email = `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const input = { email, password: `${name}-password-e2e`, firstName: name, lastName: 'Tester' };
  const data = await graphqlOk<{ register: { token: string; user: { id: string } } }>(
    'mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }',
    { input },
  );
  return { token: data.register.token, id: data.register.user.id, email };
}

let inventoryReads = 0;
/** A product's stock now: a new document each time, so the gateway's 10 s catalogue cache cannot answer. */
export async function inventoryOf(productId: string): Promise<number> {
  const query = `query Inventory${++inventoryReads}($id: ID!) { product(id: $id) { inventory } }`;
  return (await graphqlOk<{ product: { inventory: number } }>(query, { id: productId })).product.inventory;
}

export interface ProductInput {
  name: string;
  price: string;
  inventory: number;
  /** A category of the test's own keeps its product out of other tests' listings. */
  category: string;
  description?: string;
  images?: string[];
}

/** Adds a product as the admin whose token is given; its id. */
export async function createProduct(token: string, input: ProductInput): Promise<string> {
  const CREATE = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';
  return (await graphqlOk<{ createProduct: { id: string } }>(CREATE, { input }, token)).createProduct.id;
}

/** The shipping address the end-to-end orders use. */
export const ADDRESS = { street: '1 Main St', city: 'Arlington', state: 'VA', zipCode: '22201', country: 'US' };

/** A REST call through the gateway's `/api` shims, whatever its status: the status and the JSON answer. */
export async function restAnswer(
  method: string,
  path: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: callers read the JSON answers freely
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${GATEWAY}/api${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const json = () => {
    try {
      return JSON.parse(text);
    } catch {
      return text; // not JSON (a proxy's page, say): the text, so a failing test shows it
    }
  };
  return { status: response.status, body: text ? json() : undefined };
}

/** A REST call through the gateway's `/api` shims; fails the test on any status but 2xx. */
export async function rest(
  method: string,
  path: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: callers read the JSON answers freely
): Promise<any> {
  const answer = await restAnswer(method, path, body, token, headers);
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

/** Subscriptions the stack's gateway has started and listens for (its Prometheus gauge). */
export async function liveSubscriptions(): Promise<number> {
  // Loaded here, not at the top: the global setup imports this file too and cannot resolve it.
  const { metricValue } = await import('@shop/platform/testing');
  const metrics = await (await fetch(`http://127.0.0.1:${PORTS.gatewayMetrics}/metrics`)).text();
  return metricValue(metrics, 'gateway_active_subscriptions');
}

export interface GatewayReplica {
  url: string;
  /** The replica's open connections, subscriptions and event listeners. */
  subscriptionStats: () => { connections: number; subscriptions: number; feedListeners: number };
  close: () => Promise<void>;
}

/**
 * Another gateway replica, in this test process, on its own port, in front of the same subgraphs
 * and broker as the stack's gateway: its own exclusive event queue, its own clients.
 */
export async function startGatewayReplica(env: Record<string, string> = {}): Promise<GatewayReplica> {
  // Loaded here, not at the top: the global setup imports this file too and needs none of it.
  const { createGateway, gatewayConfig } = await import('../../gateway/src/index.js');
  const { parseConfig } = await import('@shop/platform/core');
  const { eventually, silentLogger } = await import('@shop/platform/testing');
  const config = parseConfig(gatewayConfig, { ...stackEnv('replica'), ...env });
  const gateway = await createGateway({ config, log: silentLogger });
  const url = `http://127.0.0.1:${await gateway.listen(0)}`;
  // `up`: its broker connection too (the gateway serves, `degraded`, before it has one).
  const report = async () => (await (await fetch(`${url}/health/ready`)).json()) as { status: string };
  await eventually(async () => ((await report()).status === 'up' ? true : undefined));
  return {
    url,
    subscriptionStats: gateway.subscriptionStats,
    close: gateway.close,
  };
}
