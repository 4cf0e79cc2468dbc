import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { errorReportingPlugin } from './error-reporting.plugin.js';
import type { GatewayContext } from './gateway-context.js';

/** Runs the plugin's didEncounterErrors on `errors` and returns what it logged. */
async function reported(errors: readonly GraphQLError[]): Promise<unknown[]> {
  const logged: unknown[] = [];
  const log = { error: (fields: unknown, message: string) => logged.push([fields, message]) };
  const contextValue = { log, requestId: 'r-1' } as unknown as GatewayContext;
  // biome-ignore lint/suspicious/noExplicitAny: the plugin reads only contextValue and errors
  const hooks = await errorReportingPlugin.requestDidStart?.({ contextValue } as any);
  // biome-ignore lint/suspicious/noExplicitAny: the plugin reads only errors
  await hooks?.didEncounterErrors?.({ errors } as any);
  return logged;
}

describe('errorReportingPlugin', () => {
  it('logs an error that carries no extensions at all (an unreachable subgraph) instead of throwing', async () => {
    const bare = Object.assign(Object.create(GraphQLError.prototype), { message: 'connect ECONNREFUSED' });
    const logged = await reported([bare]);
    expect(logged).toEqual([[{ err: bare, path: undefined }, 'internal error']]);
  });

  it('leaves public codes and HTTP 4xx refusals out of the log', async () => {
    const refused = new GraphQLError('PersistedQueryNotFound', { extensions: { http: { status: 400 } } });
    const publicError = new GraphQLError('no such order', { extensions: { code: 'NOT_FOUND' } });
    expect(await reported([refused, publicError])).toEqual([]);
  });
});
