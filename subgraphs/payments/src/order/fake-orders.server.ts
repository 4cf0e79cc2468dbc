import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenService } from '@shop/platform/core';

/** An order as the fake orders subgraph serves it. */
export interface FixtureOrder {
  id: string;
  userId: string;
  status: string;
  paymentStatus: string;
  totalAmount: string;
  /** An hour from the query when not given. */
  payableUntil?: string;
}

export interface FakeOrders {
  url: string;
  /** The Authorization header of every request, to check the caller's own token is forwarded. */
  authorizations: (string | undefined)[];
  close: () => Promise<void>;
}

const error = (code: string, message: string) => ({ errors: [{ message, extensions: { code } }] });

/**
 * Test support: a real HTTP GraphQL server standing in for the orders subgraph's
 * `order(id)` query, with its owner-or-admin rule, answering from a fixture.
 */
export async function startFakeOrders(tokens: TokenService, orders: Map<string, FixtureOrder>): Promise<FakeOrders> {
  const authorizations: (string | undefined)[] = [];
  const answer = async (authorization: string | undefined, body: string) => {
    authorizations.push(authorization);
    const principal = await tokens.fromHeader(authorization).catch(() => null);
    if (!principal) return error('UNAUTHENTICATED', 'Authentication required');
    const { variables } = JSON.parse(body) as { variables: { id: string } };
    const order = orders.get(variables.id);
    if (!order) return error('NOT_FOUND', `Order ${variables.id} not found`);
    // Another customer's order answers like an unknown id, as the orders subgraph does.
    if (principal.role !== 'ADMIN' && principal.id !== order.userId)
      return error('NOT_FOUND', `Order ${variables.id} not found`);
    const { userId, payableUntil = new Date(Date.now() + 3_600_000).toISOString(), ...fields } = order;
    return { data: { order: { ...fields, payableUntil, user: { id: userId } } } };
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const payload = await answer(req.headers.authorization, Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
