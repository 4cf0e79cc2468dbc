import { describe, expect, it, vi } from 'vitest';
import { type Json, startGateway } from '../gateway.test-fixture.js';

const SUBGRAPHS = ['users', 'products', 'orders', 'payments', 'notifications'];

describe('/health/ready of the gateway', () => {
  it('stays ready while its subgraphs are down (200, degraded), naming each one', async () => {
    // Nothing listens on port 9: every subgraph is unreachable.
    const { gateway, base } = await startGateway('http://127.0.0.1:9/graphql');
    const report = async () => {
      const response = await fetch(`${base}/health/ready`);
      return { status: response.status, body: (await response.json()) as Json };
    };
    try {
      // The broker connection is made in the background: once it is there, only the subgraphs are down.
      await vi.waitFor(async () => expect((await report()).body.checks.rabbitmq.status).toBe('up'), {
        timeout: 10_000,
      });
      const { status, body } = await report();
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'degraded', checks: { supergraph: { status: 'up' } } });
      expect(SUBGRAPHS.map((name) => [name, body.checks[name]?.status])).toEqual(
        SUBGRAPHS.map((name) => [name, 'down']),
      );
    } finally {
      await gateway.close();
    }
  });
});
