import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenService } from '@shop/platform/core';
import { buildSchema, GraphQLError, graphql } from 'graphql';
import type { ReservedItem, StockItem } from './products.client.js';

/**
 * Test helper: a real HTTP GraphQL peer answering the products subgraph's internal stock operations
 * (same SDL, SERVICE tokens only) for a fixed catalogue. The orders subgraph's own tests use it, as
 * a subgraph imports no other; tests/cross-service runs orders against the real products subgraph.
 */
const schema = buildSchema(`
  scalar Decimal
  input StockItemInput { productId: ID!, quantity: Int! }
  type ReservedItem { productId: ID!, quantity: Int!, unitPrice: Decimal! }
  type Query { ping: Boolean }
  type Mutation {
    reserveStock(orderId: ID!, items: [StockItemInput!]!, customerId: ID): [ReservedItem!]!
    releaseStock(orderId: ID!, unlessConfirmed: Boolean = false): Boolean!
    confirmStock(orderId: ID!): Boolean!
  }
`);

export interface FakeProducts {
  url: string;
  stock: Map<string, number>;
  reservations: Map<string, StockItem[]>;
  /** The customer each reservation was made for (order id → customer id), as orders sent it. */
  customers: Map<string, string>;
  releaseCalls: string[];
  /** Orders whose reservation was confirmed. */
  confirmed: Set<string>;
  /** Runs before a confirmation is answered: lets a test expire the reservation first. */
  beforeConfirm?: (orderId: string) => Promise<void>;
  /** What products' expiry job does to an unconfirmed reservation: its stock goes back. */
  expire(orderId: string): void;
  /** Runs before a release is answered: lets a test confirm the reservation first. */
  beforeRelease?: (orderId: string) => Promise<void>;
  /** Runs before stock is reserved: lets a test refuse the reservation as products would. */
  beforeReserve?: (orderId: string) => Promise<void>;
  /** Runs after stock is reserved, before the answer: lets a test break what happens next. */
  afterReserve?: (orderId: string) => Promise<void>;
  close(): Promise<void>;
}

const fail = (code: string, message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { ...extensions, code } });

export async function startFakeProducts(
  tokens: TokenService,
  catalogue: { id: string; price: string; stock: number }[],
): Promise<FakeProducts> {
  const prices = new Map(catalogue.map((product) => [product.id, product.price]));
  const expired = new Set<string>();
  const restore = (orderId: string) => {
    for (const { productId, quantity } of fake.reservations.get(orderId) ?? []) {
      fake.stock.set(productId, (fake.stock.get(productId) ?? 0) + quantity);
    }
    fake.reservations.delete(orderId);
  };
  const fake: Omit<FakeProducts, 'url' | 'close'> = {
    stock: new Map(catalogue.map((product) => [product.id, product.stock])),
    reservations: new Map(),
    customers: new Map(),
    releaseCalls: [],
    confirmed: new Set(),
    expire: (orderId) => {
      if (fake.confirmed.has(orderId) || !fake.reservations.has(orderId)) return;
      restore(orderId);
      expired.add(orderId);
    },
  };
  const root = {
    reserveStock: async ({
      orderId,
      items,
      customerId,
    }: {
      orderId: string;
      items: StockItem[];
      customerId?: string;
    }): Promise<ReservedItem[]> => {
      await fake.beforeReserve?.(orderId);
      for (const { productId, quantity } of items) {
        const available = fake.stock.get(productId);
        if (available === undefined) throw fail('NOT_FOUND', `Product ${productId} not found`, { productId });
        if (available < quantity) throw fail('INSUFFICIENT_STOCK', 'Not enough stock', { productId });
      }
      for (const { productId, quantity } of items)
        fake.stock.set(productId, (fake.stock.get(productId) ?? 0) - quantity);
      fake.reservations.set(orderId, items);
      if (customerId) fake.customers.set(orderId, customerId);
      await fake.afterReserve?.(orderId);
      return items.map((item) => ({ ...item, unitPrice: prices.get(item.productId) ?? '0.00' }));
    },
    releaseStock: async ({ orderId, unlessConfirmed }: { orderId: string; unlessConfirmed: boolean }) => {
      await fake.beforeRelease?.(orderId);
      if (unlessConfirmed && fake.confirmed.has(orderId) && fake.reservations.has(orderId)) {
        throw fail('CONFLICT', `reservation of ${orderId} is confirmed`, { reason: 'confirmed' });
      }
      fake.releaseCalls.push(orderId);
      restore(orderId);
      return true;
    },
    confirmStock: async ({ orderId }: { orderId: string }): Promise<boolean> => {
      await fake.beforeConfirm?.(orderId);
      if (expired.has(orderId)) throw fail('CONFLICT', `reservation of ${orderId} expired`, { reason: 'expired' });
      if (!fake.reservations.has(orderId))
        throw fail('CONFLICT', `no reservation for ${orderId}`, { reason: 'released' });
      fake.confirmed.add(orderId);
      return true;
    },
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const principal = await tokens.fromHeader(req.headers.authorization).catch(() => null);
    const result =
      principal?.role === 'SERVICE'
        ? await graphql({ schema, source: query, rootValue: root, variableValues: variables })
        : { errors: [fail('FORBIDDEN', 'Not allowed')] };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(result));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
