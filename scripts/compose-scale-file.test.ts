// Static check of compose.scale.yml over docker-compose.yml, and of deploy/nginx.conf (CI has no
// Docker engine): every process runs replicated without a host port, only the load balancer
// publishes one, every in-cluster URL goes through a load-balancer port that proxies to the right
// service, and each process's merged environment still parses against its configuration.
import { resolve } from 'node:path';
import { keepAliveShape, parseConfig } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { interpolate, processes, read, root } from './compose.test-fixture.js';
import { merge, readComposeFile } from './compose-merge.js';

interface Service {
  deploy?: { mode?: string; replicas?: number; resources?: { limits?: Record<string, unknown> } };
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  image?: string;
  healthcheck?: unknown;
}
const base = readComposeFile(resolve(root, 'docker-compose.yml'));
const scale = readComposeFile(resolve(root, 'compose.scale.yml'));
const services = (merge(base, scale) as { services: Record<string, Service> }).services;

/** nginx.conf: listen port → the `host:port` its proxy_pass upstream names, and the address it listens on. */
function nginxRoutes(conf: string): Map<number, { target: string; address: string | undefined }> {
  const upstreams = new Map(
    [...conf.matchAll(/upstream\s+(\w+)\s*\{[^}]*?server\s+([\w.-]+:\d+)\s+resolve/g)].map((m) => [m[1], m[2]]),
  );
  const routes = new Map<number, { target: string; address: string | undefined }>();
  // Each chunk runs from one `server {` to the next (upstream blocks all come before the first).
  for (const server of conf.split(/\bserver\s*\{/).slice(1)) {
    const [, address, listen] = /^\s*listen\s+(?:([\d.]+):)?(\d+);/.exec(server) ?? [];
    const upstream = /proxy_pass\s+http:\/\/(\w+);/.exec(server)?.[1];
    const target = upstream ? upstreams.get(upstream) : undefined;
    if (listen && target) routes.set(Number(listen), { target, address });
  }
  return routes;
}
const nginx = read('deploy/nginx.conf');
const routes = nginxRoutes(nginx);

describe('compose.scale.yml', () => {
  for (const [name, { shape }] of Object.entries(processes)) {
    it(`${name}: two replicas, each bounded as one alone, no host port, and its merged environment parses`, () => {
      const service = services[name];
      // `mode: replicated` written out: podman-compose (pnpm deploy:smoke) ignores replicas without it.
      expect(service?.deploy).toMatchObject({ mode: 'replicated' });
      expect(service?.deploy?.replicas).toBeGreaterThanOrEqual(2);
      const alone = (base as { services: Record<string, Service> }).services[name];
      expect(service?.deploy?.resources).toEqual(alone?.deploy?.resources);
      expect(service?.deploy?.resources?.limits).toHaveProperty('memory');
      expect(service?.ports ?? []).toEqual([]);
      const environment = Object.fromEntries(
        Object.entries(service?.environment ?? {}).map(([key, value]) => [key, interpolate(value)]),
      );
      expect(() => parseConfig(shape, environment)).not.toThrow();
    });
  }

  it('sends every in-cluster call through a load-balancer port that proxies to the right service, on its backend address only', () => {
    const byPort = new Map(Object.entries(processes).map(([name, { port }]) => [port, name]));
    const lbAddress = (services.lb as { networks?: { backend?: { ipv4_address?: string } } }).networks?.backend
      ?.ipv4_address;
    let checked = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (!key.endsWith('_URL') || !String(value).startsWith('http')) continue;
        const url = new URL(String(value));
        if (
          !['users', 'products', 'orders', 'payments', 'notifications'].includes(key.replace('_URL', '').toLowerCase())
        )
          continue;
        checked++;
        // The address, not the name `lb`, which could resolve to its `edge` address.
        expect(url.hostname, `${name}.${key}`).toBe(lbAddress);
        const route = routes.get(Number(url.port));
        const wanted = key.replace('_URL', '').toLowerCase();
        expect(route?.target, `${name}.${key}`).toBe(`${wanted}:${processes[wanted as keyof typeof processes].port}`);
        // Not on every address: the load balancer is on `edge` too, which the host reaches.
        expect(route?.address, `${name}.${key}`).toBe(lbAddress);
        expect(byPort.get(Number(url.port))).toBe(wanted);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('publishes only the load balancer, health-checked, with the gateway waiting for it', () => {
    const published = Object.entries(services)
      .filter(([name, service]) => name in processes && (service.ports ?? []).length > 0)
      .map(([name]) => name);
    expect(published).toEqual([]);
    expect(services.lb?.ports).toEqual(['3000:3000']);
    expect(services.lb?.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(services.lb?.healthcheck).toBeTruthy();
    expect(services.gateway?.depends_on?.lb).toEqual({ condition: 'service_healthy' });
    // The base file's health gating survives the merge.
    expect(services.gateway?.depends_on?.orders).toEqual({ condition: 'service_healthy' });
    // Only the load balancer's own address is trusted for X-Forwarded-For, not a whole private range.
    const lbAddress = (services.lb as { networks?: { backend?: { ipv4_address?: string } } }).networks?.backend
      ?.ipv4_address;
    expect(lbAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(services.gateway?.environment?.TRUST_PROXY).toBe(lbAddress);
  });

  it("keeps the load balancer's fixed address out of the range other containers are given", () => {
    const lbAddress = (services.lb as { networks?: { backend?: { ipv4_address?: string } } }).networks?.backend
      ?.ipv4_address as string;
    const [config] = (scale as { networks: { backend: { ipam: { config: { ip_range?: string }[] } } } }).networks
      .backend.ipam.config;
    const [rangeBase, bits] = (config?.ip_range ?? '').split('/');
    const toNumber = (address: string) => address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
    const size = 2 ** (32 - Number(bits));
    const offset = toNumber(lbAddress) - toNumber(rangeBase ?? '');
    expect(Number(bits)).toBeGreaterThan(0);
    expect(offset >= 0 && offset < size).toBe(false);
  });
});

describe('deploy/nginx.conf', () => {
  it('balances the public port over the gateways, WebSockets included, and hides /metrics', () => {
    expect(routes.get(3000)).toEqual({ target: 'gateway:3000', address: undefined });
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(nginx).toMatch(/location = \/metrics \{ return 404; \}/);
    // Docker's DNS, re-read: replicas added by --scale are found without a reload.
    expect(nginx).toMatch(/resolver 127\.0\.0\.11/);
    // A replica that cannot be reached is given up on in seconds, for the next one, not after 60 s.
    expect(nginx).toMatch(/^ {2}proxy_connect_timeout [1-5]s;$/m);
    // The client's own X-Forwarded-For never reaches the gateway: nginx replaces it, never appends.
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(nginx).not.toMatch(/proxy_add_x_forwarded_for/);
  });

  it('lets idle upstream connections go before the processes close them (HTTP_KEEP_ALIVE_TIMEOUT)', () => {
    // Otherwise nginx may send a request on a connection a process is closing, and answer 502.
    const processesKeep = keepAliveShape.HTTP_KEEP_ALIVE_TIMEOUT.parse(undefined);
    const upstreams = [...nginx.matchAll(/^ {2}upstream (\w+) +\{(.*)\}$/gm)];
    expect(upstreams.map(([, name]) => name)).toContain('orders');
    for (const [, name, body = ''] of upstreams) {
      if (!/keepalive \d+;/.test(body)) continue;
      // nginx's default for an upstream's idle connections is 60 s.
      const seconds = Number(/keepalive_timeout (\d+)s;/.exec(body)?.[1] ?? 60);
      expect(seconds * 1000, name).toBeLessThan(processesKeep);
    }
    for (const service of Object.values(services)) expect(service.environment?.HTTP_KEEP_ALIVE_TIMEOUT).toBeUndefined();
  });
});
