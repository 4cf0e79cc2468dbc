// Static check of deploy/prometheus.yml against docker-compose.yml and the configuration schemas
// (CI has no Docker engine): every process is scraped on the port where it serves /metrics, the
// gateway on its metrics listener (never the public port), and the monitoring profile mounts the file.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gatewayConfig } from '../gateway/src/config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

interface ScrapeConfig {
  job_name: string;
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
}
const prometheus = parse(read('deploy/prometheus.yml')) as { scrape_configs: ScrapeConfig[] };
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string | number>; volumes?: string[]; profiles?: string[] }>;
};
const job = (name: string) => prometheus.scrape_configs.find((config) => config.job_name === name)?.dns_sd_configs;

describe('deploy/prometheus.yml', () => {
  it('scrapes every replica of each subgraph on its own port', () => {
    const subgraphs = { users: 3001, products: 3002, orders: 3003, payments: 3004, notifications: 3005 };
    for (const [name, port] of Object.entries(subgraphs)) {
      expect(job(name), name).toEqual([expect.objectContaining({ names: [name], type: 'A', port })]);
    }
  });

  it('scrapes the gateway on the metrics listener compose configures, not on its public port', () => {
    const { GATEWAY_PORT, METRICS_PORT } = compose.services.gateway?.environment ?? {};
    const config = parseConfig(gatewayConfig, {
      NODE_ENV: 'test',
      JWT_SECRET: 'a-test-secret-of-at-least-32-characters',
      GATEWAY_SIGNING_SECRETS: 'a-test-signing-secret-of-at-least-32-characters',
      GATEWAY_PORT: String(GATEWAY_PORT),
      ...(METRICS_PORT === undefined ? {} : { METRICS_PORT: String(METRICS_PORT) }),
    });
    expect(config.METRICS_PORT).not.toBe(config.GATEWAY_PORT);
    expect(job('gateway')).toEqual([
      expect.objectContaining({ names: ['gateway'], type: 'A', port: config.METRICS_PORT }),
    ]);
  });

  it('is what the monitoring profile runs', () => {
    expect(compose.services.prometheus?.profiles).toEqual(['monitoring']);
    expect(compose.services.prometheus?.volumes).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });
});
