import { createLogger, loadConfig, onShutdown } from '@shop/platform';
import { gatewayConfig } from './config.js';
import { createGateway } from './create-gateway.js';

const config = loadConfig(gatewayConfig);
const log = createLogger('gateway', config);
const gateway = await createGateway({ config, log });
await gateway.listen(config.GATEWAY_PORT);
onShutdown(log, [gateway.close]);
