import type { ApolloServerPlugin } from '@apollo/server';
import { isOwnFailure, ServiceUnavailableError } from '@shop/platform/core';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CircuitOpenError } from '../supergraph/subgraph-circuits.js';
import type { GatewayContext } from './gateway-context.js';

/**
 * Logs each of our own failures (internal errors, a service that did not answer) with the request's
 * logger (so with its request id, and the subgraph it came from), and gives the error the client
 * sees that request id to quote. A call an open circuit refused is logged at debug level only.
 */
export const errorReportingPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ contextValue }) {
    return {
      async didEncounterErrors({ errors }) {
        for (const error of errors) {
          if (!isOwnFailure(error.extensions?.code) || httpClientStatus(error)) continue;
          const failure = error.originalError ?? error;
          // Its circuit's opening was logged once, and the metric counts each refusal.
          if (failure instanceof ServiceUnavailableError && failure.cause instanceof CircuitOpenError) {
            contextValue.log.debug({ cause: failure.cause.message, path: error.path }, 'refused: circuit open');
            continue;
          }
          contextValue.log.error({ err: failure, path: error.path }, 'internal error');
        }
      },
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
        response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
          withRequestId(error, contextValue.requestId),
        );
      },
    };
  },
};

function withRequestId(error: GraphQLFormattedError, requestId: string): GraphQLFormattedError {
  if (!isOwnFailure(error.extensions?.code)) return error;
  return { ...error, extensions: { ...error.extensions, requestId } };
}

/**
 * What a client may see of an error: @apollo/gateway adds the subgraph's name (`serviceName`) to
 * errors it relays, and to a subgraph's HTTP 401 or 403 (a token that expired during the request)
 * its URL, status and body (`response`); names, hosts and stack traces stay in the logs.
 */
export function stripInternals(error: GraphQLFormattedError): GraphQLFormattedError {
  if (!error.extensions) return error;
  const {
    serviceName: _service,
    stacktrace: _stack,
    exception: _exception,
    response: _response,
    ...extensions
  } = error.extensions;
  return { ...error, extensions };
}

/**
 * Apollo Server refuses some requests itself with an HTTP 4xx but no code of its own (a persisted
 * query's hash or version), which it then labels INTERNAL_SERVER_ERROR: the caller's mistake, BAD_REQUEST.
 */
export function codeClientErrors(error: GraphQLFormattedError, original: unknown): GraphQLFormattedError {
  const code = error.extensions?.code;
  if ((code !== undefined && code !== 'INTERNAL_SERVER_ERROR') || !(original instanceof GraphQLError)) return error;
  if (!httpClientStatus(original)) return error;
  return { ...error, extensions: { ...error.extensions, code: 'BAD_REQUEST' } };
}

/** Whether Apollo Server answers this error with an HTTP 4xx: the caller's mistake, nothing to log. */
function httpClientStatus(error: Pick<GraphQLError, 'extensions'> | { extensions?: undefined }): boolean {
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
