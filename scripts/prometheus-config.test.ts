// Static check of deploy/prometheus.yml against docker-compose.yml and the configuration schemas
// (CI has no Docker engine): every process is scraped on the port where it serves /metrics, the
// gateway on its metrics listener (never the public port), and the monitoring profile mounts the file.
// The alerting rules (deploy/prometheus-alerts.yml) parse as PromQL and read only metrics the code serves.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser as promql } from '@prometheus-io/lezer-promql';
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
const prometheus = parse(read('deploy/prometheus.yml')) as { scrape_configs: ScrapeConfig[]; rule_files?: string[] };
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
    expect(compose.services.prometheus?.volumes).toContain(
      './deploy/prometheus-alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });
});

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}
const alerting = parse(read('deploy/prometheus-alerts.yml')) as { groups: { name: string; rules: AlertRule[] }[] };
const rules = alerting.groups.flatMap((group) => group.rules);

/** What `expr` selects, by metric name; throws where it is not PromQL. */
function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  promql.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) throw new Error(`not PromQL at ${node.from}: ${expr}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(expr.slice(node.from, node.to));
      }
    },
  });
  return names;
}

/** Metric names the code registers: `name: '…'` of prom-client's classes, metricOnFirstUse('…'), stateGauge('…'). */
function servedMetrics(): Set<string> {
  // Prometheus's own, per target, and prom-client's process metrics (collectProcessMetrics).
  const served = new Set(['up', 'process_start_time_seconds']);
  const sources = [
    'gateway/src',
    'packages/platform/src',
    'events/src',
    ...readdirSync(resolve(root, 'subgraphs')).map((name) => `subgraphs/${name}/src`),
  ];
  const pattern = /(?:\bname: |metricOnFirstUse\(\s*|stateGauge\(\s*)'([a-z][a-z0-9_]*)'/g;
  for (const folder of sources) {
    for (const file of readdirSync(resolve(root, folder), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.includes('.test')) continue;
      for (const match of read(`${folder}/${file}`).matchAll(pattern)) if (match[1]) served.add(match[1]);
    }
  }
  return served;
}

describe('deploy/prometheus-alerts.yml', () => {
  it('has rules, each named once, with a severity, a summary and a description', () => {
    expect(rules.length).toBeGreaterThan(10);
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(page|ticket)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('asks PromQL of metrics the processes serve, histograms by their series', () => {
    const served = servedMetrics();
    // The check would see a misspelt or renamed metric (an alert that never fires).
    expect(served).toContain('payments_refunds_owed');
    expect(() => selectedMetrics('sum(rate(foo[5m]) >')).toThrow(/not PromQL/);
    for (const rule of rules) {
      const metrics = selectedMetrics(rule.expr).map((name) => name.replace(/_(bucket|count|sum)$/, ''));
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      for (const metric of metrics) expect(served, `${rule.alert}: ${metric}`).toContain(metric);
    }
  });

  it("asks `up`, every target's, only of the jobs deploy/prometheus.yml scrapes", () => {
    const jobs = prometheus.scrape_configs.map((config) => config.job_name).sort();
    const ofUp = rules.filter((rule) => selectedMetrics(rule.expr).includes('up'));
    expect(ofUp.length).toBeGreaterThan(0);
    for (const rule of ofUp) {
      const selected = /\bup\{job=~"([^"]+)"\}/.exec(rule.expr)?.[1];
      expect(selected?.split('|').sort(), rule.alert).toEqual(jobs);
    }
  });
});
