import { BadUserInputError, type FieldError } from '@shop/platform/core';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { z } from 'zod';
import type { OperationRequest } from '../graphql/execute-in-process.js';
import { problemFromGraphqlError, sendProblem } from './problem.js';
import type { RunOperation } from './run-operation.js';

/** Who may call a route, as documented; the subgraphs enforce it (the shim only forwards the token). */
export type Access = 'public' | 'user' | 'admin';

type Input<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B, H> {
  params: Input<P>;
  query: Input<Q>;
  body: Input<B>;
  headers: Input<H>;
}

export interface RouteResult {
  status: number;
  /** Absent for an answer without content (204). */
  body?: unknown;
}

/**
 * One REST shim: what it accepts (zod, validated before anything runs), the GraphQL operation it
 * runs and how its answer maps back. The OpenAPI document is generated from these same values.
 */
export interface RestRoute<P = unknown, Q = unknown, B = unknown, H = unknown> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Under `/api`, in OpenAPI form: `/users/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  headers?: H;
  /**
   * The success answer; `alsoStatus` documents other success statuses (an idempotent replay, 202
   * PENDING). Without `schema` it has no content (204).
   */
  response: { status: number; alsoStatus?: readonly number[]; description: string; schema?: z.ZodType };
  /** Error statuses this route can answer (documented as problem details). */
  errors: number[];
  // Method syntax on purpose: routes with different schemas then fit one RestRoute[].
  handle(input: RouteInput<P, Q, B, H>, run: <T>(request: OperationRequest) => Promise<T>): Promise<RouteResult>;
}

/** Types a route's handler from its own schemas. */
export const defineRoute = <
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
>(
  route: RestRoute<P, Q, B, H>,
): RestRoute => route as RestRoute;

/** `/users/{id}` → `/users/:id` */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Mounts each route: validate every part of the request, run the operation, answer the mapping.
 * Paths without parameters come first, each with its 405: `/users/login` must not be taken for a
 * user named "login" by `/users/{id}` when called with a method it does not serve.
 */
export function routesRouter(routes: RestRoute[], run: RunOperation): Router {
  const router = Router();
  const paths = [...new Set(routes.map((route) => route.path))];
  const templated = (path: string) => Number(path.includes('{'));
  for (const path of paths.sort((a, b) => templated(a) - templated(b))) {
    const onPath = routes.filter((route) => route.path === path);
    for (const route of onPath) {
      router[route.method](expressPath(path), async (req: Request, res: Response) => {
        const input = parseInput(route, req);
        const result = await route.handle(input, (request) => run(request, res));
        if (result.body === undefined) res.status(result.status).end();
        else res.status(result.status).json(result.body);
      });
    }
    router.all(
      expressPath(path),
      methodNotAllowed(
        path,
        onPath.map((route) => route.method.toUpperCase()),
      ),
    );
  }
  return router;
}

/** A known path called with another method: 405 with `Allow` (RFC 9110), not a missing route. */
export function methodNotAllowed(path: string, methods: string[]): RequestHandler {
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
  return (req, res) => {
    res.setHeader('allow', allow);
    const message = `${req.method} is not allowed on /api${path}: use ${allow}`;
    sendProblem(res, problemFromGraphqlError({ message, extensions: { code: 'METHOD_NOT_ALLOWED' } }));
  };
}

function parseInput(route: RestRoute, req: Request): RouteInput<unknown, unknown, unknown, unknown> {
  const fields: FieldError[] = [];
  // Fields are named as the caller sent them; an issue with the whole part names the part.
  const part = (schema: unknown, value: unknown, where: string) => {
    if (!schema) return undefined;
    const result = (schema as z.ZodType).safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      fields.push({ field: issue.path.length > 0 ? issue.path.join('.') : where, message: issue.message });
    }
    return undefined;
  };
  const input = {
    params: part(route.params, req.params, 'path'),
    query: part(route.query, req.query, 'query'),
    body: part(route.body, req.body ?? {}, 'body'),
    headers: part(route.headers, req.headers, 'headers'),
  };
  if (fields.length > 0) throw new BadUserInputError('Invalid input', fields);
  return input as RouteInput<unknown, unknown, unknown, unknown>;
}
