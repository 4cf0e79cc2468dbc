import type { ApolloServer } from '@apollo/server';
import type { TokenService } from '@shop/platform';
import express, { type Express, Router } from 'express';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { authenticate } from '../http/authenticate.middleware.js';
import { problemFromGraphqlError, problemHandler, sendProblem } from './problem.js';
import { operationRunner } from './run-operation.js';
import { usersRoutes } from './users.routes.js';

/** `/api/*`: the legacy REST shims; every failure answers as `application/problem+json`. */
export function useRest(app: Express, deps: { apollo: ApolloServer<GatewayContext>; tokens: TokenService }): void {
  const run = operationRunner(deps.apollo);
  const api = Router();
  api.use(authenticate(deps.tokens), express.json({ limit: '1mb' }));
  api.use('/users', usersRoutes(run));
  api.use((req, res) => {
    sendProblem(
      res,
      problemFromGraphqlError({ message: `No route ${req.method} /api${req.path}`, extensions: { code: 'NOT_FOUND' } }),
    );
  });
  api.use(problemHandler);
  app.use('/api', api);
}
