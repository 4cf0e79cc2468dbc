import type { Logger, Principal } from '@shop/platform/core';
import type { Response } from 'express';
import { clientBudget, type GatewayContext } from '../graphql/gateway-context.js';

// `requestId` sets the first two, `clientIpMiddleware` and `requestDeadline` the last three,
// `authenticate` the others, before any route runs.
declare global {
  namespace Express {
    interface Locals {
      requestId: string;
      log: Logger;
      principal: Principal | null;
      authorization: string | undefined;
      clientIp: string | undefined;
      deadline: number | undefined;
      deadlineFromClient: boolean;
    }
  }
}

/** The operation context of an HTTP request, for /graphql and the REST shims alike. */
export function gatewayContext(res: Response): GatewayContext {
  const { requestId, log, principal, authorization, clientIp, deadline, deadlineFromClient } = res.locals;
  const budget = clientBudget(principal, clientIp);
  return { requestId, log, principal, authorization, clientIp, deadline, deadlineFromClient, budget };
}
