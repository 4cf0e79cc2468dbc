// A subgraph's port keeps idle keep-alive connections longer than the proxy in front does (60 s for
// nginx's upstream keepalive, which compose.scale.yml puts between gateway and subgraphs), so the
// proxy never sends a request on a connection the subgraph is closing (a 502 it cannot retry).
import 'reflect-metadata';
import { Query, Resolver } from 'type-graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { keepAliveShape } from './config.js';
import { graphqlLimitsShape } from './graphql-limits.js';
import type { SubgraphSecurity } from './subgraph.js';
import { createTestTokens, serveTestSubgraph, type TestSubgraph } from './testing.js';

@Resolver()
class PingResolver {
  @Query(() => String)
  ping(): string {
    return 'pong';
  }
}

const definition = { name: 'keep-alive-probe', resolvers: [PingResolver] as [typeof PingResolver] };
const servers: TestSubgraph[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close())));

async function serve(config?: SubgraphSecurity): Promise<TestSubgraph> {
  const server = await serveTestSubgraph(definition, {}, createTestTokens(), config ? { config } : {});
  servers.push(server);
  return server;
}

describe('keep-alive on a subgraph port', () => {
  it('keeps idle connections 65 s by default: longer than the 60 s of the proxies in front', async () => {
    const server = await serve();
    expect(server.server.keepAliveTimeout).toBe(65_000);
    expect(server.server.keepAliveTimeout).toBeGreaterThan(60_000);
  });

  it('keeps them as long as HTTP_KEEP_ALIVE_TIMEOUT says', async () => {
    const limits = z.object({ ...graphqlLimitsShape, ...keepAliveShape }).parse({ HTTP_KEEP_ALIVE_TIMEOUT: '10m' });
    const server = await serve({ ...limits, NODE_ENV: 'test', GATEWAY_SIGNING_SECRETS: [] });
    expect(server.server.keepAliveTimeout).toBe(600_000);
  });
});
