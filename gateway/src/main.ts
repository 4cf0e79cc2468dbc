import cluster from 'node:cluster';
import { createLogger, loadConfig, onShutdown } from '@shop/platform';
import { startGatewayCluster } from './cluster/gateway-cluster.js';
import { gatewayConfig } from './config.js';
import { createGateway } from './create-gateway.js';

const config = loadConfig(gatewayConfig);
const log = createLogger('gateway', config);
if (config.GATEWAY_WORKERS > 1 && cluster.isPrimary) {
  onShutdown(log, [startGatewayCluster(config.GATEWAY_WORKERS, log)]);
} else {
  const gateway = await createGateway({ config, log });
  await gateway.listen(config.GATEWAY_PORT);
  onShutdown(log, [gateway.close]);
}
