import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger } from '@shop/platform/core';
import { metricsRegistry } from '@shop/platform/telemetry';
import { requestPath } from '../http/request-path.js';

/** Where the Prometheus text comes from: this process's registry, or the cluster primary's aggregate. */
export interface MetricsSource {
  contentType: string;
  metrics: () => Promise<string>;
}

export interface MetricsServer {
  port: number;
  close: () => Promise<void>;
}

/** This process's own metrics (prom-client's default registry). */
export const localMetrics = (): MetricsSource => ({
  contentType: metricsRegistry.contentType,
  metrics: () => metricsRegistry.metrics(),
});

/**
 * `GET /metrics` on a listener of its own (METRICS_PORT, METRICS_HOST), never on the public port:
 * metrics name operations, routes and error rates that clients have no business reading. Nothing
 * else is served there.
 */
export async function startMetricsServer(
  options: { port: number; host?: string },
  source: MetricsSource,
  log: Logger,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || requestPath(req.url) !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    source.metrics().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics unavailable');
        res.writeHead(503).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port, host: options.host ?? 'all interfaces' }, 'metrics listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
