import { startTracing, traceRequests } from '@shop/platform/telemetry';
import type { Express } from 'express';

/**
 * Starts this process's tracing (OTEL_* settings, off by default) and gives every request mounted
 * after it a server span. Returns the flush to run on close.
 */
export async function useTracing(app: Express): Promise<() => Promise<void>> {
  const tracing = await startTracing('gateway');
  app.use(traceRequests());
  return tracing.flush;
}
