import cluster from 'node:cluster';
import { createLogger, loadConfig, onShutdown, startOrExit } from '@shop/platform/core';
import { answerClusterMetrics, clusterMetrics } from './cluster/cluster-metrics.js';
import { startGatewayCluster } from './cluster/gateway-cluster.js';
import { gatewayConfig } from './config.js';
import { createGateway } from './create-gateway.js';
import { localMetrics, startMetricsServer } from './metrics/metrics-server.js';

const config = loadConfig(gatewayConfig);
const metricsAt = { port: config.METRICS_PORT, host: config.METRICS_HOST };
const root = createLogger('gateway', config);
if (cluster.isPrimary && config.GATEWAY_WORKERS > 1) {
  // The primary serves no requests: it hands connections to the workers and reports their metrics.
  const workerMetrics = clusterMetrics();
  const stopWorkers = startGatewayCluster(config.GATEWAY_WORKERS, root, workerMetrics.own);
  const metrics = await startOrExit(root, () => startMetricsServer(metricsAt, workerMetrics, root));
  onShutdown(root, [stopWorkers, metrics.close]);
} else {
  // A worker's lines say which worker wrote them; its metrics go to the primary.
  if (cluster.isWorker) answerClusterMetrics();
  const log = cluster.isWorker ? root.child({ worker: cluster.worker?.id }) : root;
  const { gateway, metrics } = await startOrExit(log, async () => {
    const gateway = await createGateway({ config, log });
    await gateway.listen(config.GATEWAY_PORT);
    const metrics = cluster.isWorker ? undefined : await startMetricsServer(metricsAt, localMetrics(), log);
    return { gateway, metrics };
  });
  onShutdown(log, [gateway.close, ...(metrics ? [metrics.close] : [])]);
}
