// The gateway as a plain federation gateway for any supergraph file (SUPERGRAPH_PATH): see plain-gateway.ts.
import { createLogger, loadConfig, onShutdown } from '@shop/platform/core';
import { localMetrics, startMetricsServer } from '../metrics/metrics-server.js';
import { plainGatewayConfig } from './plain-gateway.config.js';
import { createPlainGateway } from './plain-gateway.js';

const config = loadConfig(plainGatewayConfig);
const log = createLogger('gateway', config);
const gateway = await createPlainGateway({ config, log });
await gateway.listen(config.GATEWAY_PORT);
const metrics = await startMetricsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST }, localMetrics(), log);
onShutdown(log, [gateway.close, metrics.close]);
