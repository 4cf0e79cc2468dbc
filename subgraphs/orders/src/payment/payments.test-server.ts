import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenService } from '@shop/platform/core';

export interface FakePayments {
  url: string;
  /** The status of each order's payment, as payments would answer `Order.payment`; absent: none. */
  statuses: Map<string, string>;
  /** Answers nothing (a payments outage) while true. */
  down: boolean;
  /** Requests received, answered or not. */
  requests: number;
  close: () => Promise<void>;
}

const error = (code: string, message: string) => ({ errors: [{ message, extensions: { code } }] });

/**
 * Test support: a real HTTP GraphQL peer answering the payments subgraph's `Order.payment` entity
 * fetch for SERVICE tokens only, from a map. The orders subgraph's own tests use it, as a subgraph
 * imports no other; the end-to-end suite runs orders against the real payments subgraph.
 */
export async function startFakePayments(tokens: TokenService): Promise<FakePayments> {
  const answer = async (authorization: string | undefined, body: string) => {
    const principal = await tokens.fromHeader(authorization).catch(() => null);
    if (principal?.role !== 'SERVICE') return error('FORBIDDEN', 'Not allowed');
    const { variables } = JSON.parse(body) as { variables: { orders: { id: string }[] } };
    const entities = variables.orders.map(({ id }) => {
      const status = fake.statuses.get(id);
      return { payment: status ? { status } : null };
    });
    return { data: { _entities: entities } };
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    fake.requests++;
    if (fake.down) return void req.socket.destroy();
    const payload = await answer(req.headers.authorization, Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const fake: FakePayments = {
    url: `http://127.0.0.1:${port}/graphql`,
    statuses: new Map(),
    down: false,
    requests: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}
