import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One HTTP peer standing in for every subgraph of the supergraph: always ready, its catalogue has
 * 3 products, and the one order exists (PAID: the gateway re-runs the subscriber's query per event).
 * `holdNext()` keeps the next catalogue query unanswered until the test opens the gate.
 */
export class FakeSubgraph {
  private gate: { opened: Promise<void>; arrived: () => void } | undefined;
  private readonly server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health/ready') {
      res.end('{"status":"ok"}');
      return;
    }
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', async () => {
      const { query = '' } = JSON.parse(raw || '{}') as { query?: string };
      if (query.includes('products')) {
        const gate = this.gate;
        this.gate = undefined;
        gate?.arrived();
        await gate?.opened;
      }
      res.setHeader('content-type', 'application/json');
      const order = { __typename: 'Order', id: this.orderId, status: 'PAID' };
      // The gateway asks for a subscriber's order under the subscription's response key.
      res.end(JSON.stringify({ data: { products: { totalCount: 3 }, order, orderStatusChanged: order } }));
    });
  });

  constructor(private readonly orderId: string) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  holdNext(): { open: () => void; arrived: () => boolean } {
    let open = () => {};
    let arrived = false;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gate = {
      opened,
      arrived: () => {
        arrived = true;
      },
    };
    return { open, arrived: () => arrived };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
