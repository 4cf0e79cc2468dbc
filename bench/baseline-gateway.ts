// The baseline: a vanilla @apollo/gateway as its documentation sets it up, ApolloServer +
// ApolloGateway({ supergraphSdl }) with default settings, on the same supergraph and subgraphs.
// The one addition is forwarding the caller's Authorization header, without which no
// subgraph would answer a customer's query. Port BASELINE_PORT; routing URLs from *_URL.
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { readSupergraph } from '../gateway/src/supergraph/supergraph-file.js';

interface Context {
  authorization?: string;
}

const env = process.env;
const { sdl, subgraphs } = await readSupergraph(
  env.SUPERGRAPH_PATH ?? new URL('../supergraph.graphql', import.meta.url).pathname,
  {
    users: env.USERS_URL,
    products: env.PRODUCTS_URL,
    orders: env.ORDERS_URL,
    payments: env.PAYMENTS_URL,
    notifications: env.NOTIFICATIONS_URL,
  },
);
const urls = new Map(subgraphs.map((subgraph) => [subgraph.name, subgraph.url]));

class AuthorizationDataSource extends RemoteGraphQLDataSource<Context> {
  override willSendRequest(options: Parameters<NonNullable<RemoteGraphQLDataSource<Context>['willSendRequest']>>[0]) {
    if ('incomingRequestContext' in options && options.context.authorization) {
      options.request.http?.headers.set('authorization', options.context.authorization);
    }
  }
}

const server = new ApolloServer<Context>({
  gateway: new ApolloGateway({
    supergraphSdl: sdl,
    buildService: ({ name, url }) => new AuthorizationDataSource({ url: urls.get(name) ?? url }),
  }),
});
await startStandaloneServer(server, {
  listen: { port: Number(env.BASELINE_PORT ?? 5706) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
