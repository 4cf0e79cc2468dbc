import type { Server } from 'node:http';
import type { Logger } from '@shop/platform/core';

/**
 * Listens on `port` (0: any free one) at `host` (listenHost; undefined: every address) and resolves
 * with the port actually bound, logging it.
 */
export function listen(
  httpServer: Server,
  { port, host }: { port: number; host: string | undefined },
  log: Logger,
  fields: object = {},
): Promise<number> {
  return new Promise((resolve) => {
    httpServer.listen(port, host, () => {
      const address = httpServer.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      log.info({ port: actual, ...fields }, 'gateway listening');
      resolve(actual);
    });
  });
}
