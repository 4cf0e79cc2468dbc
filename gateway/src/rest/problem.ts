import type { FieldError } from '@shop/platform/core';
import type { ErrorRequestHandler, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { bodyError } from '../http/body-error.js';

/** RFC 9457 problem details, plus the contract's error `code` and, for validation, `errors`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  /** Where the error names its kind (a 409's UNPAID_ORDERS_LIMIT, say): a client may act on it. */
  reason?: string;
  /** Where the error names the product it is about (INSUFFICIENT_STOCK, PURCHASE_LIMIT). */
  productId?: string;
  /** Where the error names the limit it met (UNPAID_ORDERS_LIMIT, PURCHASE_LIMIT). */
  limit?: number;
  /** On 429 and 503: whole seconds to wait, also sent as the Retry-After header. */
  retryAfter?: number;
  /** On 500: the request id, for the caller to quote and the logs to find. */
  requestId?: string;
}

const KNOWN: Record<string, { status: number; title: string }> = {
  BAD_USER_INPUT: { status: 400, title: 'Invalid input' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Insufficient stock' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Too many requests' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
};

const typeOf = (code: string) => `urn:shop:problem:${code.toLowerCase().replaceAll('_', '-')}`;

export const INTERNAL_PROBLEM: ProblemDetails = {
  type: typeOf('INTERNAL_SERVER_ERROR'),
  title: 'Internal server error',
  status: 500,
  detail: 'An unexpected error occurred',
  code: 'INTERNAL_SERVER_ERROR',
};

/** Thrown by shims; carries the problem to answer and, as `cause`, what led to it (for the log). */
export class Problem extends Error {
  constructor(
    readonly details: ProblemDetails,
    options?: ErrorOptions,
  ) {
    super(details.detail, options);
  }
}

/** A Problem made of an operation's errors, which the gateway's error reporting has logged already. */
export class OperationProblem extends Problem {}

/** Contract codes map to their status; anything else (even GraphQL validation of a shim's own query) is a 500. */
export function problemFromGraphqlError(error: GraphQLFormattedError): ProblemDetails {
  const code = String(error.extensions?.code ?? '');
  const known = KNOWN[code];
  if (!known) return INTERNAL_PROBLEM;
  const problem: ProblemDetails = {
    type: typeOf(code),
    title: known.title,
    status: known.status,
    detail: error.message,
    code,
  };
  const fields = error.extensions?.fields;
  if (Array.isArray(fields) && fields.length > 0) {
    problem.errors = fields.map((field: Partial<FieldError>) => ({
      field: String(field.field),
      message: String(field.message),
    }));
  }
  const { reason, productId, limit } = error.extensions ?? {};
  if (typeof reason === 'string') problem.reason = reason;
  if (typeof productId === 'string') problem.productId = productId;
  if (typeof limit === 'number' && Number.isInteger(limit)) problem.limit = limit;
  const retryAfter = error.extensions?.retryAfter;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0) {
    problem.retryAfter = Math.ceil(retryAfter);
  }
  return problem;
}

/** Any error reaching a shim's error handler → the problem to answer. */
export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof Problem) return error.details;
  if (error instanceof GraphQLError) return problemFromGraphqlError(error.toJSON());
  const refused = bodyError(error);
  if (refused) {
    const { status, message: detail } = refused;
    return { type: typeOf('BAD_REQUEST'), title: 'Bad request', status, detail, code: 'BAD_REQUEST' };
  }
  return INTERNAL_PROBLEM;
}

export function sendProblem(res: Response, problem: ProblemDetails): void {
  if (problem.retryAfter !== undefined) res.setHeader('retry-after', String(problem.retryAfter));
  // RFC 6750: a 401 names its scheme, and says whether the token sent was the trouble.
  if (problem.status === 401) {
    const sent = res.req.get('authorization') !== undefined;
    res.setHeader('www-authenticate', `Bearer realm="shop"${sent ? ', error="invalid_token"' : ''}`);
  }
  const body = problem.status >= 500 ? { ...problem, requestId: res.locals.requestId } : problem;
  res.status(problem.status).type('application/problem+json').json(body);
}

export const problemHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const problem = toProblem(error);
  // An operation's own failures were logged, with the request id, by errorReportingPlugin.
  if (problem.status >= 500 && !(error instanceof OperationProblem)) {
    res.locals.log.error({ err: error, cause: (error as Error).cause }, 'rest request failed');
  }
  sendProblem(res, problem);
};
