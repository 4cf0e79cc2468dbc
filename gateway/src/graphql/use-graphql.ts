import type { ApolloServer } from '@apollo/server';
import { type Logger, ServiceUnavailableError, type TokenService, UnauthenticatedError } from '@shop/platform/core';
import { graphqlHttpHandler } from '@shop/platform/http';
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
    graphqlHttpHandler(deps.apollo, async ({ res }) => gatewayContext(res)),
    graphqlErrorHandler,
  );
}

/**
 * Failures before Apollo runs (bad token, unreadable body, users not answering) still answer as
 * GraphQL errors; the SSE subscriptions route answers its own the same way.
 */
export const graphqlErrorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const { status, message, extensions } = classify(error, res.locals.log);
  if (typeof extensions.retryAfter === 'number') res.setHeader('retry-after', String(extensions.retryAfter));
  // A failure of ours names its request, as Apollo's masked errors do, so a report can be found in the logs.
  const answered = status >= 500 ? { ...extensions, requestId: res.locals.requestId } : extensions;
  res.status(status).json({ errors: [{ message, extensions: answered }] });
};

function classify(
  error: unknown,
  log: Logger,
): { status: number; message: string; extensions: Record<string, unknown> } {
  if (error instanceof UnauthenticatedError) {
    return { status: 401, message: error.message, extensions: { code: 'UNAUTHENTICATED' } };
  }
  const refused = bodyError(error);
  if (refused) return { status: refused.status, message: refused.message, extensions: { code: 'BAD_REQUEST' } };
  log.error({ err: error }, 'graphql request failed');
  if (error instanceof ServiceUnavailableError) {
    return { status: 503, message: error.message, extensions: { ...error.extensions } };
  }
  return { status: 500, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
