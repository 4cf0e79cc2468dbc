import type { ApolloServer } from '@apollo/server';
import type { TokenService } from '@shop/platform/core';
import express, { type Express, Router } from 'express';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { authenticate } from '../http/authenticate.middleware.js';
import { apiDocs } from './api-docs.js';
import { openApiDocument } from './openapi.js';
import { ordersRoutes } from './orders.routes.js';
import { paymentsRoutes } from './payments.routes.js';
import { problemFromGraphqlError, problemHandler, sendProblem } from './problem.js';
import { productsRoutes } from './products.routes.js';
import type { RestRoute } from './rest-route.js';
import { methodNotAllowed, routesRouter } from './rest-route.js';
import { operationRunner } from './run-operation.js';
import { usersRoutes } from './users.routes.js';

/** Every shim of the contract; served and documented from this one list. */
export const restRoutes: RestRoute[] = [...usersRoutes, ...productsRoutes, ...ordersRoutes, ...paymentsRoutes];

/** `/api/*`: the legacy REST shims, their OpenAPI document and Swagger UI; failures are problem+json. */
export function useRest(
  app: Express,
  deps: { apollo: ApolloServer<GatewayContext>; tokens: TokenService; bodyLimit: number },
): void {
  const document = openApiDocument(restRoutes);
  const api = Router();
  api.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  api.all('/openapi.json', methodNotAllowed('/openapi.json', ['GET']));
  api.use('/docs', apiDocs('/api/openapi.json'));
  api.use(authenticate(deps.tokens), express.json({ limit: deps.bodyLimit }));
  api.use(routesRouter(restRoutes, operationRunner(deps.apollo)));
  api.use((req, res) => {
    sendProblem(
      res,
      problemFromGraphqlError({ message: `No route ${req.method} /api${req.path}`, extensions: { code: 'NOT_FOUND' } }),
    );
  });
  api.use(problemHandler);
  app.use('/api', api);
}
