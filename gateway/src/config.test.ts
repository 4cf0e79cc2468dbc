import { parseConfig } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { gatewayConfig } from './config.js';

const parse = (env: Record<string, string>) => parseConfig(gatewayConfig, { NODE_ENV: 'development', ...env });

describe('gateway configuration', () => {
  it("refuses rate-limit windows past Node's timer limit, where each count would be forgotten at once", () => {
    const windows = {
      LOGIN_LIMIT_WINDOW_SECONDS: '24d',
      REGISTER_LIMIT_WINDOW_SECONDS: '24d',
      CLIENT_COST_WINDOW: '24d',
    };
    expect(parse(windows)).toMatchObject({
      LOGIN_LIMIT_WINDOW_SECONDS: 24 * 86_400,
      REGISTER_LIMIT_WINDOW_SECONDS: 24 * 86_400,
      CLIENT_COST_WINDOW: 24 * 86_400_000,
    });
    for (const name of Object.keys(windows)) expect(() => parse({ [name]: '25d' }), name).toThrow(name);
  });

  it("refuses a subgraph timeout past the subgraphs' signature age, a minute", () => {
    expect(parse({ SUBGRAPH_TIMEOUT: '60s', REQUEST_TIMEOUT: '2m' })).toMatchObject({
      SUBGRAPH_TIMEOUT: 60_000,
      REQUEST_TIMEOUT: 120_000,
    });
    expect(() => parse({ SUBGRAPH_TIMEOUT: '61s' })).toThrow('SUBGRAPH_TIMEOUT');
  });

  it('refuses WebSocket timers so short that every socket would be dropped at once', () => {
    expect(parse({ WS_KEEP_ALIVE_MS: '100', WS_CONNECTION_INIT_TIMEOUT_MS: '100ms' })).toMatchObject({
      WS_KEEP_ALIVE_MS: 100,
      WS_CONNECTION_INIT_TIMEOUT_MS: 100,
    });
    for (const name of ['WS_KEEP_ALIVE_MS', 'WS_CONNECTION_INIT_TIMEOUT_MS'])
      expect(() => parse({ [name]: '1' }), name).toThrow(name);
  });
});
