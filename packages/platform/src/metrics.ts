import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { RequestHandler, Router } from 'express';
import { Router as createRouter } from 'express';
import { Kind } from 'graphql';
import { Counter, collectDefaultMetrics, Histogram, register } from 'prom-client';
import { metricOnFirstUse } from './metric-on-first-use.js';
import { routeTemplate } from './route-template.js';

/**
 * Prometheus metrics of this process, on prom-client's default registry (shared with
 * @shop/events' event counters). Every process serves them at `/metrics`.
 */
export const metricsRegistry = register;

// Seconds, from a fast cache hit to a slow federated plan.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const httpRequestDuration = () =>
  metricOnFirstUse(
    'http_request_duration_seconds',
    (name) =>
      new Histogram({
        name,
        help: 'HTTP requests by method, route and status',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: LATENCY_BUCKETS,
      }),
  );

const graphqlOperationDuration = () =>
  metricOnFirstUse(
    'graphql_operation_duration_seconds',
    (name) =>
      new Histogram({
        name,
        help: 'GraphQL operations by operation name and type',
        labelNames: ['operation', 'type'] as const,
        buckets: LATENCY_BUCKETS,
      }),
  );

const graphqlErrors = () =>
  metricOnFirstUse(
    'graphql_errors_total',
    (name) =>
      new Counter({
        name,
        help: 'GraphQL errors sent to clients, by operation name and extensions.code',
        labelNames: ['operation', 'code'] as const,
      }),
  );

let defaultsCollected = false;

/** Process metrics (CPU, memory, event loop lag, GC), once per process. */
export function collectProcessMetrics(service: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels({ service });
  collectDefaultMetrics();
}

/** `/metrics` in the Prometheus text format. Keep it off the public load balancer (deploy/). */
export function metricsRouter(): Router {
  const router = createRouter();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', register.contentType);
    res.end(await register.metrics());
  });
  return router;
}

/** Times every HTTP request; mount first so that it sees each one. */
export function httpMetrics(): RequestHandler {
  const duration = httpRequestDuration();
  return (req, res, next) => {
    const end = duration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: routeTemplate(req) || 'unmatched', status: String(res.statusCode) }));
    next();
  };
}

// Operation names are chosen by clients: past this many, new names share one series.
const MAX_OPERATION_NAMES = 200;
const operationNames = new Set<string>();

function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_NAMES || !/^\w{1,64}$/.test(name)) return 'other';
  operationNames.add(name);
  return name;
}

/** Apollo plugin: operation latency by name and type, and the codes of the errors clients get. */
export function graphqlMetricsPlugin<C extends BaseContext>(): ApolloServerPlugin<C> {
  const [duration, errors] = [graphqlOperationDuration(), graphqlErrors()];
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, request, document, response }) {
          // Apollo names the operation only once it validated: an invalid one is named from its text.
          const written = document?.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
          const operationLabelValue = operationLabel(operationName ?? request.operationName ?? written?.name?.value);
          duration.observe(
            { operation: operationLabelValue, type: operation?.operation ?? 'unknown' },
            (performance.now() - started) / 1000,
          );
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            const code = error.extensions?.code;
            errors.inc({
              operation: operationLabelValue,
              code: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR',
            });
          }
        },
      };
    },
  };
}
