import type { Logger } from 'pino';
import { EventBus } from './event-bus.js';
import { type RetryPolicySettings, retryPolicyFrom } from './retry-policy.js';

/** The broker settings every process reads (platform's baseConfigShape), and the retry ladder where it consumes. */
export interface EventBusSettings extends Partial<RetryPolicySettings> {
  AMQP_URL: string;
  AMQP_EXCHANGE: string;
  AMQP_EXCHANGE_PROVISIONED: boolean;
}

/**
 * A process's EventBus from its configuration; the retry ladder applies where the config has one
 * (retryPolicyShape). `outage` tells the failures that wait out an outage (EventBusOptions.outage).
 */
export function eventBusFromConfig(
  config: EventBusSettings,
  log: Logger,
  connectionName: string,
  outage?: (error: unknown) => boolean,
): EventBus {
  const { EVENTS_MAX_ATTEMPTS, EVENTS_RETRY_BASE_MS, EVENTS_RETRY_MAX_MS, EVENTS_OUTAGE_PATIENCE } = config;
  const retry =
    EVENTS_MAX_ATTEMPTS !== undefined &&
    EVENTS_RETRY_BASE_MS !== undefined &&
    EVENTS_RETRY_MAX_MS !== undefined &&
    EVENTS_OUTAGE_PATIENCE !== undefined
      ? retryPolicyFrom({ EVENTS_MAX_ATTEMPTS, EVENTS_RETRY_BASE_MS, EVENTS_RETRY_MAX_MS, EVENTS_OUTAGE_PATIENCE })
      : undefined;
  return new EventBus({
    url: config.AMQP_URL,
    exchange: config.AMQP_EXCHANGE,
    exchangeProvisioned: config.AMQP_EXCHANGE_PROVISIONED,
    log,
    connectionName,
    retry,
    outage,
  });
}
