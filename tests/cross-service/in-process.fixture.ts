// The shared set-up of the cross-service tests: subgraphs of this repository served in this
// process (serveTestSubgraph), composed into a supergraph, behind a gateway started as the
// gateway's own tests start one (startTestGateway).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { type TokenService } from '@shop/platform/core';
import { printSubgraphSdl } from '@shop/platform/subgraph';
import { connectTestMongo, createTestTokens, serveTestSubgraph, type TestSubgraph } from '@shop/platform/testing';
import { parse } from 'graphql';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway } from '../../gateway/src/gateway.test-fixture.js';
import type { Gateway } from '../../gateway/src/index.js';
import { createUsersServices } from '../../subgraphs/users/src/create-services.js';
import { usersSubgraph } from '../../subgraphs/users/src/schema.js';

/** The served subgraphs composed into a supergraph file in a fresh folder; `remove` deletes it. */
export async function composeSupergraph(
  subgraphs: TestSubgraph[],
): Promise<{ path: string; remove: () => Promise<void> }> {
  const services = [];
  for (const { definition, url } of subgraphs) {
    services.push({ name: definition.name, url, typeDefs: parse(await printSubgraphSdl(definition)) });
  }
  const composed = composeServices(services);
  if (composed.errors) throw composed.errors[0];
  const dir = await mkdtemp(join(tmpdir(), 'cross-service-'));
  const path = join(dir, 'supergraph.graphql');
  await writeFile(path, composed.supergraphSdl);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The gateway in front of the real users subgraph alone, as a test file uses it. */
export interface GatewayOverUsers {
  tokens: TokenService;
  users: TestSubgraph;
  gateway: Gateway;
  base: string;
}

/**
 * This test file's gateway over the real users subgraph on a private database, started before its
 * tests (after `prepare` has run on the users services) and closed after them.
 */
export function gatewayOverUsers(options: {
  database: string;
  env?: Record<string, string>;
  prepare?: (services: ReturnType<typeof createUsersServices>) => Promise<unknown>;
}): GatewayOverUsers {
  const started = { tokens: createTestTokens() } as GatewayOverUsers;
  let db: { drop: () => Promise<void> } | undefined;
  let supergraph: Awaited<ReturnType<typeof composeSupergraph>> | undefined;
  beforeAll(async () => {
    db = await connectTestMongo(options.database);
    const services = createUsersServices(started.tokens);
    await options.prepare?.(services);
    started.users = await serveTestSubgraph(usersSubgraph, services, started.tokens);
    supergraph = await composeSupergraph([started.users]);
    Object.assign(started, await startTestGateway({ SUPERGRAPH_PATH: supergraph.path, ...options.env }));
  });
  afterAll(async () => {
    await started.gateway?.close();
    await started.users?.close();
    await db?.drop();
    await supergraph?.remove();
  });
  return started;
}
