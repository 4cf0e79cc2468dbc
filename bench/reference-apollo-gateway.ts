// Vanilla @apollo/gateway as The Guild's gateways benchmark sets it up (its gateways/apollo-gateway/
// index.ts): ApolloServer + ApolloGateway({ supergraphSdl }) with default settings, under
// startStandaloneServer, in `availableParallelism() - 1` cluster workers (FORK overrides; on 2
// cores one worker beside the primary). The supergraph is SUPERGRAPH_PATH, the port PORT.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const forkCount = (process.env.FORK ? Number.parseInt(process.env.FORK, 10) : availableParallelism()) - 1;
if (cluster.isPrimary && forkCount) {
  for (let i = 0; i < forkCount; i++) cluster.fork();
} else {
  const supergraphSdl = readFileSync(process.env.SUPERGRAPH_PATH ?? 'supergraph.graphql', 'utf8');
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  await startStandaloneServer(server, { listen: { port: Number(process.env.PORT ?? 4000) } });
}
