// What scenarios 1 and 2 ask for, and the data they need: a customer with 50 paid orders of two
// items each, placed through the gateway as a shop would. Also records the subgraph fetches the
// gateway makes for an operation, to replay them without a gateway (the subgraphs' own time).
import { request } from 'node:http';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { readSupergraph } from '../gateway/src/supergraph/supergraph-file.js';
import { root, stackEnv } from './stack.js';

export const STOREFRONT = {
  query: `query Storefront($filter: ProductFilter) {
  products(filter: $filter, first: 20) {
    totalCount
    edges { cursor node { id name price category inventory images } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  variables: { filter: { category: 'electronics', minPrice: '20.00', maxPrice: '300.00', inStock: true } },
};

export const DEEP = {
  query: `query CustomerOrders {
  orders(first: 50) {
    totalCount
    edges {
      node {
        id status totalAmount createdAt
        user { id email firstName lastName }
        items { quantity price product { id name price category } }
        payment { id status amount paymentMethod }
      }
    }
  }
}`,
  variables: {},
};

export const ADDRESS = { street: '1 Bench Road', city: 'Lisbon', state: 'LX', zipCode: '1000-001', country: 'PT' };

interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

export async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Promise<GraphqlAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphqlAnswer;
}

/** The answer's size on the wire (fetch would inflate it out of sight) and its Content-Encoding. */
export function answerBytes(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ bytes: number; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Fails with the answer's errors, or returns its data. */
export async function ok(answer: Promise<GraphqlAnswer>): Promise<Record<string, unknown>> {
  const { data, errors } = await answer;
  if (errors?.length || !data) throw new Error(`GraphQL errors: ${JSON.stringify(errors)}`);
  return data;
}

export async function register(gateway: string, label: string): Promise<string> {
  const data = await ok(
    graphql(gateway, `mutation ($input: RegisterInput!) { register(input: $input) { token } }`, {
      input: {
        email: `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@bench.example`,
        password: 'Bench-password-42!',
        firstName: 'Bench',
        lastName: label,
      },
    }),
  );
  return `Bearer ${(data.register as { token: string }).token}`;
}

/** In-stock products, for orders to buy. */
export async function productIds(gateway: string, count: number): Promise<string[]> {
  const data = await ok(
    graphql(
      gateway,
      `query ($first: Int) { products(first: $first, filter: { inStock: true }) { edges { node { id } } } }`,
      {
        first: count,
      },
    ),
  );
  return (data.products as { edges: { node: { id: string } }[] }).edges.map((edge) => edge.node.id);
}

/** A customer with `count` orders of two items each, every one paid by card. */
export async function seedCustomerOrders(gateway: string, count: number): Promise<string> {
  const authorization = await register(gateway, 'deep');
  const products = await productIds(gateway, 100);
  for (let i = 0; i < count; i++) {
    const items = [0, 1].map((k) => ({ productId: products[(2 * i + k) % products.length], quantity: 1 }));
    const order = await ok(
      graphql(
        gateway,
        `mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }`,
        { input: { items, shippingAddress: ADDRESS } },
        authorization,
      ),
    );
    const orderId = (order.createOrder as { id: string }).id;
    await ok(
      graphql(
        gateway,
        `mutation ($input: ProcessPaymentInput!) { processPayment(input: $input) { id status } }`,
        { input: { orderId, paymentMethod: 'card', idempotencyKey: `bench-${orderId}` } },
        authorization,
      ),
    );
  }
  return authorization;
}

export interface RecordedFetch {
  url: string;
  body: string;
  startedAt: number;
  endedAt: number;
}

/** The subgraph requests one execution of an operation makes, in order, with their timing. */
export async function recordFetches(
  operation: { query: string; variables: Record<string, unknown> },
  authorization: string | undefined,
): Promise<RecordedFetch[][]> {
  const { sdl, subgraphs } = await readSupergraph(`${root}/supergraph.graphql`, {
    users: stackEnv.USERS_URL,
    products: stackEnv.PRODUCTS_URL,
    orders: stackEnv.ORDERS_URL,
    payments: stackEnv.PAYMENTS_URL,
    notifications: stackEnv.NOTIFICATIONS_URL,
  });
  const urls = new Map(subgraphs.map((subgraph) => [subgraph.name, subgraph.url]));
  const fetches: RecordedFetch[] = [];
  class Recorder extends RemoteGraphQLDataSource<{ authorization?: string }> {
    override async process(options: GraphQLDataSourceProcessOptions<{ authorization?: string }>) {
      if (!('incomingRequestContext' in options)) return super.process(options);
      const startedAt = performance.now();
      const { query, variables } = options.request;
      const result = await super.process(options);
      fetches.push({
        url: this.url,
        body: JSON.stringify({ query, variables }),
        startedAt,
        endedAt: performance.now(),
      });
      return result;
    }
    override willSendRequest(options: GraphQLDataSourceProcessOptions<{ authorization?: string }>) {
      if ('incomingRequestContext' in options && options.context.authorization) {
        options.request.http?.headers.set('authorization', options.context.authorization);
      }
    }
  }
  const server = new ApolloServer<{ authorization?: string }>({
    gateway: new ApolloGateway({
      supergraphSdl: sdl,
      buildService: ({ name, url }) => new Recorder({ url: urls.get(name) ?? url }),
    }),
  });
  await server.start();
  try {
    const response = await server.executeOperation(operation, { contextValue: { authorization } });
    if (response.body.kind !== 'single' || response.body.singleResult.errors) {
      throw new Error(`recording failed: ${JSON.stringify(response.body)}`);
    }
  } finally {
    await server.stop();
  }
  // Waves: a fetch that starts after every earlier one ended waited for them (a sequence step).
  const waves: RecordedFetch[][] = [];
  for (const fetched of fetches.sort((a, b) => a.startedAt - b.startedAt)) {
    const last = waves.at(-1);
    if (last && fetched.startedAt < Math.max(...last.map((f) => f.endedAt))) last.push(fetched);
    else waves.push([fetched]);
  }
  return waves;
}

/** Replays recorded waves against the subgraphs directly: each wave in parallel, waves in order. */
export function replay(waves: RecordedFetch[][], authorization: string | undefined): () => Promise<void> {
  const headers = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
  return async () => {
    for (const wave of waves) {
      await Promise.all(
        wave.map(async (fetched) => {
          const response = await fetch(fetched.url, { method: 'POST', headers, body: fetched.body });
          const body = (await response.json()) as GraphqlAnswer;
          if (!response.ok || body.errors) throw new Error(`${fetched.url}: ${response.status}`);
        }),
      );
    }
  };
}
