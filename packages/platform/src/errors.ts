import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ZodError } from 'zod';

/** Error codes of the public contract; anything else is masked as INTERNAL_SERVER_ERROR. */
export const PUBLIC_ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'INSUFFICIENT_STOCK',
  'TOO_MANY_REQUESTS',
  // A service the request needs did not answer: the client may retry (our failure, logged as one).
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  // Automatic persisted queries: clients act on these (send the full query, or stop trying).
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
] as const;
export type PublicErrorCode = (typeof PUBLIC_ERROR_CODES)[number];

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends GraphQLError {
  constructor(code: PublicErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, fields: FieldError[] = []) {
    super('BAD_USER_INPUT', message, { fields });
  }

  static fromZod(error: ZodError): BadUserInputError {
    const fields = error.issues.map((issue) => ({
      field: issue.path.join('.'),
      message: issue.message,
    }));
    return new BadUserInputError('Invalid input', fields);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} not found`, { entity, id });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super('CONFLICT', message, extensions);
  }
}

/**
 * The `reason` of products' CONFLICT refusals for a limit on one customer: refused before any stock
 * moved, so the orders subgraph passes them on and undoes nothing.
 */
export const CUSTOMER_LIMIT = { unpaidOrders: 'UNPAID_ORDERS_LIMIT', purchase: 'PURCHASE_LIMIT' } as const;

export class InsufficientStockError extends AppError {
  constructor(productId: string) {
    super('INSUFFICIENT_STOCK', `Not enough stock for product ${productId}`, { productId });
  }
}

/**
 * Another service this request needs did not answer (down, or slower than the caller waits), so the
 * client is told to try again shortly (`retryAfter`, seconds) instead of seeing an internal error.
 * The cause is logged, never answered.
 */
export class ServiceUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('SERVICE_UNAVAILABLE', 'A service this request needs did not answer; try again shortly', { retryAfter: 1 });
    this.cause = cause;
  }
}

function isPublicCode(code: unknown): code is PublicErrorCode {
  return typeof code === 'string' && (PUBLIC_ERROR_CODES as readonly string[]).includes(code);
}

/** Whether an error with this code is our own failure, to log and to answer with the request id. */
export function isOwnFailure(code: unknown): boolean {
  return !isPublicCode(code) || code === 'SERVICE_UNAVAILABLE';
}

/**
 * Apollo Server formatError: errors with a contract code pass through (without stack traces);
 * everything else is logged by the caller and reaches the client only as a generic message.
 * SERVICE_UNAVAILABLE is both: answered with its code, and logged with its cause.
 */
export function maskError(
  formatted: GraphQLFormattedError,
  onInternal: (formatted: GraphQLFormattedError, original: unknown) => void,
  original: unknown,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (isOwnFailure(code)) onInternal(formatted, original);
  if (isPublicCode(code)) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/**
 * An event consumer's check of its handler's failures (EventBusOptions.outage): whether something
 * the handler needs did not answer, anywhere in the error's chain of causes — its database
 * (`databaseUnavailable`), or another service (a SERVICE_UNAVAILABLE error, as callSubgraph throws).
 * The bus waits such a failure out instead of using up the message's attempts.
 */
export function dependencyOutage(databaseUnavailable: (error: unknown) => boolean): (error: unknown) => boolean {
  return (error) => {
    for (let link = error, depth = 0; link !== undefined && depth < 8; depth++) {
      if (link instanceof GraphQLError && link.extensions.code === 'SERVICE_UNAVAILABLE') return true;
      if (databaseUnavailable(link)) return true;
      link = link instanceof Error ? link.cause : undefined;
    }
    return false;
  };
}
