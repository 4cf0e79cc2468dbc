import type { TokenService } from '@shop/platform/core';
import type { RequestHandler } from 'express';

/**
 * Verifies the bearer token at the edge: a bad or expired one fails here (UNAUTHENTICATED,
 * answered by the route's error handler); no token means anonymous and subgraphs decide.
 */
export function authenticate(tokens: TokenService): RequestHandler {
  return async (req, res, next) => {
    const authorization = req.header('authorization');
    res.locals.principal = await tokens.fromHeader(authorization);
    res.locals.authorization = authorization;
    next();
  };
}
