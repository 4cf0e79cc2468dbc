import { healthRouter, type ReadinessCheck } from '@shop/platform/http';
import type { Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { SubgraphEndpoint } from '../supergraph/supergraph-file.js';

const SUBGRAPH_TIMEOUT_MS = 1_500;

/**
 * `/health/live`, and `/health/ready`: ready while the gateway can serve its supergraph. The broker
 * and every subgraph's own readiness are reported with it (`degraded` when one is down) but do not
 * decide it, as in Apollo Router and Hive Gateway: a load balancer that took every gateway out
 * because one subgraph or the broker is down would take the whole API down with it, while most
 * operations still work (the catalogue without notifications, queries without the broker).
 */
export function useHealth(
  app: Express,
  deps: { apiSchema: () => GraphQLSchema; broker?: ReadinessCheck; subgraphs: SubgraphEndpoint[] },
): void {
  const supergraph: ReadinessCheck = { name: 'supergraph', check: () => void deps.apiSchema() };
  const reported = [...(deps.broker ? [deps.broker] : []), ...deps.subgraphs.map(subgraphReadiness)];
  app.use(healthRouter('gateway', [supergraph], reported));
}

function subgraphReadiness(subgraph: SubgraphEndpoint): ReadinessCheck {
  const url = new URL('/health/ready', subgraph.url);
  return {
    name: subgraph.name,
    check: async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(SUBGRAPH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
    },
  };
}
