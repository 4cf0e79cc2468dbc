import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { type Logger, type TokenService, UnauthenticatedError } from '@shop/platform/core';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { authenticate } from '../http/authenticate.middleware.js';
import { bodyError } from '../http/body-error.js';
import { gatewayContext } from '../http/request-locals.js';
import type { GatewayContext } from './gateway-context.js';

/** `POST/GET /graphql`: the supergraph over HTTP, behind edge token verification. */
export function useGraphql(
  app: Express,
  deps: {
    apollo: ApolloServer<GatewayContext>;
    tokens: TokenService;
    bodyLimit: number;
    /** Trusted documents (use-persisted-documents.ts): ids resolved, and the allowlist enforced, before Apollo. */
    persistedDocuments?: RequestHandler;
  },
): void {
  app.use(
    '/graphql',
    authenticate(deps.tokens),
    express.json({ limit: deps.bodyLimit }),
    ...(deps.persistedDocuments ? [deps.persistedDocuments] : []),
    expressMiddleware(deps.apollo, { context: async ({ res }) => gatewayContext(res) }),
    graphqlErrorHandler,
  );
}

/** Failures before Apollo runs (bad token, unreadable body) still answer as GraphQL errors. */
const graphqlErrorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const [status, message, code] = classify(error, res.locals.log);
  // A 500 names its request, as Apollo's masked errors do, so a report can be found in the logs.
  const extensions = status === 500 ? { code, requestId: res.locals.requestId } : { code };
  res.status(status).json({ errors: [{ message, extensions }] });
};

function classify(error: unknown, log: Logger): [number, string, string] {
  if (error instanceof UnauthenticatedError) return [401, error.message, 'UNAUTHENTICATED'];
  const refused = bodyError(error);
  if (refused) return [refused.status, refused.message, 'BAD_REQUEST'];
  log.error({ err: error }, 'graphql request failed');
  return [500, 'Internal server error', 'INTERNAL_SERVER_ERROR'];
}
