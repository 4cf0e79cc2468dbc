import { healthRouter, type ReadinessCheck } from '@shop/platform/http';
import type { Express } from 'express';
import type { SubgraphEndpoint } from '../supergraph/supergraph-file.js';

const SUBGRAPH_TIMEOUT_MS = 1_500;

/** `/health/live`, and `/health/ready`: the broker plus every subgraph's own readiness. */
export function useHealth(app: Express, deps: { broker: ReadinessCheck; subgraphs: SubgraphEndpoint[] }): void {
  app.use(healthRouter('gateway', [deps.broker, ...deps.subgraphs.map(subgraphReadiness)]));
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
