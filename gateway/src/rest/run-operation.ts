import type { ApolloServer } from '@apollo/server';
import type { Response } from 'express';
import { executeInProcess, type OperationRequest } from '../graphql/execute-in-process.js';
import type { GatewayContext } from '../graphql/gateway-context.js';
import { gatewayContext } from '../http/request-locals.js';
import { INTERNAL_PROBLEM, OperationProblem, Problem, problemFromGraphqlError } from './problem.js';

/** Runs a shim's operation as the caller of `res`'s request; returns its data or throws its Problem. */
export type RunOperation = <TData>(request: OperationRequest, res: Response) => Promise<TData>;

export function operationRunner(apollo: ApolloServer<GatewayContext>): RunOperation {
  return async <TData>(request: OperationRequest, res: Response) => {
    const context = gatewayContext(res);
    const result = await executeInProcess<TData>(apollo, request, context);
    // The answer, a problem included, tells what the client's cost budget has left (client-budget.plugin.ts).
    for (const [name, value] of Object.entries(context.budget?.headers ?? {})) res.setHeader(name, value);
    const [first] = result.errors ?? [];
    if (first) throw new OperationProblem(problemFromGraphqlError(first), { cause: result.errors });
    if (!result.data) throw new Problem(INTERNAL_PROBLEM, { cause: new Error('operation returned no data') });
    return result.data;
  };
}
