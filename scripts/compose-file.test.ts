// Static check of docker-compose.yml against the code (CI has no Docker engine): every process
// is built from the Dockerfile template with its own port, gets only variables its config knows,
// and that config parses; every service is health-gated.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseConfigShape, parseConfig } from '@shop/platform';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gatewayConfig } from '../gateway/src/config.js';
import { notificationsConfig } from '../subgraphs/notifications/src/config.js';
import { ordersConfig } from '../subgraphs/orders/src/config.js';
import { paymentsConfig } from '../subgraphs/payments/src/config.js';
import { productsConfig } from '../subgraphs/products/src/config.js';
import { usersConfig } from '../subgraphs/users/src/config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

interface ComposeService {
  build?: { target?: string; args?: Record<string, string | number> };
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: unknown;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };

const processes = {
  users: { shape: usersConfig, port: 3001, portVar: 'USERS_PORT' },
  products: { shape: productsConfig, port: 3002, portVar: 'PRODUCTS_PORT' },
  orders: { shape: ordersConfig, port: 3003, portVar: 'ORDERS_PORT' },
  payments: { shape: paymentsConfig, port: 3004, portVar: 'PAYMENTS_PORT' },
  notifications: { shape: notificationsConfig, port: 3005, portVar: 'NOTIFICATIONS_PORT' },
  gateway: { shape: gatewayConfig, port: 3000, portVar: 'GATEWAY_PORT' },
};

/** What compose hands the container for `${VAR:-default}` / `${VAR:?message}` with an empty .env. */
function interpolate(value: string | number): string {
  return String(value).replace(
    /\$\{(\w+)(:[-?])?([^}]*)\}/g,
    (_match, name: string, operator?: string, rest?: string) => {
      if (operator === ':-') return rest ?? '';
      if (name === 'JWT_SECRET') return 'a-production-secret-of-at-least-32-characters';
      throw new Error(`\${${name}} has no default`);
    },
  );
}

describe('docker-compose.yml', () => {
  for (const [name, { shape, port, portVar }] of Object.entries(processes)) {
    describe(name, () => {
      const service = compose.services[name];

      it('is built from the Dockerfile template for this process and port', () => {
        expect(service?.build).toMatchObject({ target: 'service', args: { SERVICE: name, PORT: port } });
        expect(service?.ports).toContain(`${port}:${port}`);
      });

      it('sets only variables its configuration knows, and they parse', () => {
        const environment = Object.fromEntries(
          Object.entries(service?.environment ?? {}).map(([key, value]) => [key, interpolate(value)]),
        );
        const known = new Set([...Object.keys(baseConfigShape), ...Object.keys(shape)]);
        expect(Object.keys(environment).filter((key) => !known.has(key))).toEqual([]);
        const config = parseConfig(shape, environment) as Record<string, unknown>;
        expect(config[portVar]).toBe(port);
        expect(config.NODE_ENV).toBe('production');
      });

      it('starts only once its backing services are healthy and migrations ran', () => {
        expect(service?.depends_on).toMatchObject({
          mongo: { condition: 'service_healthy' },
          postgres: { condition: 'service_healthy' },
          rabbitmq: { condition: 'service_healthy' },
          migrate: { condition: 'service_completed_successfully' },
        });
      });
    });
  }

  it('gates the gateway on every subgraph being healthy', () => {
    for (const subgraph of ['users', 'products', 'orders', 'payments', 'notifications']) {
      expect(compose.services.gateway?.depends_on?.[subgraph]).toEqual({ condition: 'service_healthy' });
    }
  });

  it('health-checks the backing services, and the image health-checks every process as non-root', () => {
    for (const backing of ['mongo', 'postgres', 'rabbitmq'])
      expect(compose.services[backing]?.healthcheck).toBeTruthy();
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*?\/health\/ready/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(compose.services.migrate?.build?.target).toBe('migrate');
  });
});

describe('.env.example', () => {
  it('names every variable any process reads', () => {
    const example = read('.env.example');
    const named = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    const all = [baseConfigShape, ...Object.values(processes).map(({ shape }) => shape)].flatMap((shape) =>
      Object.keys(shape),
    );
    expect([...new Set(all)].filter((name) => !named.has(name))).toEqual([]);
  });
});
