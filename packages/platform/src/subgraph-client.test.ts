import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLFormattedError } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { maskError, ServiceUnavailableError } from './errors.js';
import { callSubgraph } from './subgraph-client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A peer that answers every request with `status` and `body`, or never when `status` is 0. */
async function peer(status: number, body = '') {
  server = createServer((req, res) => {
    req.resume();
    if (status === 0) return;
    res.statusCode = status;
    res.end(body);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('answered'),
    (error) => error,
  );

describe('callSubgraph when the callee does not answer', () => {
  it('is SERVICE_UNAVAILABLE for a refused connection, a proxy’s 502/503/504 and a call past its wait', async () => {
    const closed = await peer(200, '{}');
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const failures = [await failureOf(callSubgraph(closed, '{ ok }', {}))];
    for (const status of [502, 503, 504])
      failures.push(await failureOf(callSubgraph(await peer(status, 'busy'), '{ ok }', {})));
    const hung = await peer(0);
    failures.push(await failureOf(callSubgraph(hung, '{ ok }', {}, { deadline: Date.now() + 200 })));

    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ServiceUnavailableError);
      expect(failure.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
      // What happened is kept for the log, not in the message a client sees.
      expect(String(failure.cause)).toContain('127.0.0.1');
      expect(failure.message).not.toContain('127.0.0.1');
    }
  });

  it('is an internal failure, not unavailability, when the callee answers without JSON', async () => {
    const failure = await failureOf(callSubgraph(await peer(200, '<html>'), '{ ok }', {}));
    expect(failure).not.toBeInstanceOf(ServiceUnavailableError);
    expect(failure.message).toContain('without JSON');
  });
});

describe('maskError and SERVICE_UNAVAILABLE', () => {
  it('answers the code and retryAfter, and reports the failure like an internal one', () => {
    const reported: unknown[] = [];
    const original = new ServiceUnavailableError(new Error('POST http://10.0.0.7/graphql: ECONNREFUSED'));
    const formatted: GraphQLFormattedError = { message: original.message, extensions: { ...original.extensions } };
    expect(maskError(formatted, (_masked, error) => reported.push(error), original)).toEqual({
      message: 'A service this request needs did not answer; try again shortly',
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 },
    });
    expect(reported).toEqual([original]);
  });
});

describe('callSubgraph when the callee answers SERVICE_UNAVAILABLE itself', () => {
  it('is the same ServiceUnavailableError as no answer at all, so callers treat both alike', async () => {
    const body = JSON.stringify({
      errors: [{ message: 'busy', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 } }],
    });
    const failure = await failureOf(callSubgraph(await peer(200, body), '{ ok }', {}));
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfter: 1 });
  });
});
