// A subgraph's port keeps idle keep-alive connections longer than the proxy in front does (60 s for
// nginx's upstream keepalive, which compose.scale.yml puts between gateway and subgraphs), so the
// proxy never sends a request on a connection the subgraph is closing (a 502 it cannot retry).
import 'reflect-metadata';
import { Query, Resolver } from 'type-graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { keepAliveShape, listenShape } from './config.js';
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

describe('the address a subgraph port listens on', () => {
  const security = (env: Record<string, string>) => ({
    ...z.object({ ...graphqlLimitsShape, ...keepAliveShape, ...listenShape }).parse(env),
    NODE_ENV: env.NODE_ENV ?? 'production',
    GATEWAY_SIGNING_SECRETS: [],
  });
  const address = (server: TestSubgraph) => (server.server.address() as { address: string }).address;

  it('is every address outside development, and the loopback one only in development (its secrets are public)', async () => {
    expect(['::', '0.0.0.0']).toContain(address(await serve(security({ NODE_ENV: 'production' }))));
    expect(address(await serve(security({ NODE_ENV: 'development' })))).toBe('127.0.0.1');
  });

  it('is LISTEN_HOST when set', async () => {
    expect(address(await serve(security({ NODE_ENV: 'development', LISTEN_HOST: '0.0.0.0' })))).toBe('0.0.0.0');
    expect(address(await serve(security({ NODE_ENV: 'production', LISTEN_HOST: '127.0.0.1' })))).toBe('127.0.0.1');
  });
});
