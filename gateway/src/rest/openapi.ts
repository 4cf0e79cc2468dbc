import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import type { RestRoute } from './rest-route.js';
import { problemSchema } from './rest-shapes.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid input (the fields are listed in `errors`)',
  401: 'Missing, invalid or expired token',
  403: 'Not allowed for this caller',
  404: 'No such resource',
  409: 'Conflict with the current state',
};

const problem = (description: string): ResponseConfig => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** The OpenAPI 3.1 document of the REST shims, generated from the very definitions that serve them. */
export function openApiDocument(routes: RestRoute[]): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const route of routes) {
    const { status, alsoStatus, description, schema } = route.response;
    const success: ResponseConfig = schema
      ? { description, content: { 'application/json': { schema } } }
      : { description };
    registry.registerPath({
      method: route.method,
      path: `/api${route.path}`,
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(route.access === 'public' ? {} : { security: [{ [bearer.name]: [] }] }),
      request: {
        params: route.params as z.ZodObject | undefined,
        query: route.query as z.ZodObject | undefined,
        headers: route.headers as z.ZodObject | undefined,
        ...(route.body
          ? { body: { required: true, content: { 'application/json': { schema: route.body as z.ZodType } } } }
          : {}),
      },
      responses: {
        [status]: success,
        ...Object.fromEntries((alsoStatus ?? []).map((code) => [code, success])),
        ...Object.fromEntries(route.errors.map((code) => [code, problem(STATUS_TEXT[code] ?? 'Error')])),
        // A public route needs no token, but one that is sent is checked: an expired one is refused.
        ...(route.access === 'public' && !route.errors.includes(401)
          ? { 401: problem('The Authorization header holds an invalid or expired token: send none for this route') }
          : {}),
        // The gateway refuses a body over BODY_LIMIT_BYTES before any route reads it.
        ...(route.body ? { 413: problem('Request body too large (over BODY_LIMIT_BYTES, inflated)') } : {}),
        // Every call spends the client's cost budget (CLIENT_COST_BUDGET); sign-in routes also count attempts.
        429: problem('Too many requests from this client: wait for Retry-After seconds'),
        500: problem('Internal error: quote `requestId`'),
        503: problem('A service the request needs did not answer: retry after `retryAfter` seconds'),
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Shop REST shims',
      version: '1.0.0',
      description:
        'Legacy REST routes, each a named GraphQL operation run through the supergraph. Ids are strings, money is a JSON number, errors are RFC 9457 problem details.',
    },
  });
}
