export { type GatewayConfig, gatewayConfig } from './config.js';
export { createGateway, type Gateway } from './create-gateway.js';
