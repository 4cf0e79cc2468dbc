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
/** What an operator sets in .env for the variables compose requires (`${VAR:?…}`). */
const REQUIRED: Record<string, string> = {
  JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
  GATEWAY_SIGNING_SECRETS: 'a-production-signing-secret-of-32-characters',
  SMTP_URL: 'smtp://mail.example.com:587',
};

interface ComposeService {
  image?: string;
  profiles?: string[];
  networks?: string[];
  command?: string[];
  build?: { target?: string; args?: Record<string, string | number> };
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: unknown;
}
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean }>;
};

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
      if (operator === ':?') return REQUIRED[name] ?? `required-${name.toLowerCase()}`;
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
        // Only the gateway is published; subgraphs are reached on the internal network only.
        if (name === 'gateway') expect(service?.ports).toContain(`${port}:${port}`);
        else expect(service?.ports ?? []).toEqual([]);
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

describe('docker-compose.yml, secure by default', () => {
  const services = Object.entries(compose.services);

  it('publishes only the gateway (and its loopback metrics); mail and monitoring only under their profiles, on 127.0.0.1', () => {
    const published = services.filter(([, service]) => (service.ports ?? []).length > 0);
    for (const [name, service] of published) {
      for (const port of service.ports ?? []) {
        if (name === 'gateway' && port === '3000:3000') continue;
        expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
        if (name !== 'gateway') expect(service.profiles, name).not.toContain('app');
      }
    }
    expect(compose.services.mailpit?.profiles).toEqual(['mail']);
    expect(compose.services.prometheus?.profiles).toEqual(['monitoring']);
  });

  it('keeps backing services and subgraphs on an internal network; only the gateway also reaches the outside', () => {
    expect(compose.networks.backend?.internal).toBe(true);
    for (const name of [
      'mongo',
      'postgres',
      'rabbitmq',
      'migrate',
      'users',
      'products',
      'orders',
      'payments',
      'notifications',
    ]) {
      expect(compose.services[name]?.networks, name).toEqual(['backend']);
    }
    expect(compose.services.gateway?.networks).toEqual(['backend', 'edge']);
  });

  it('takes every credential from the environment, with no default and no guest', () => {
    // A secret with a default (`${VAR:-value}`) would run with that value when .env forgets it.
    for (const name of ['JWT_SECRET', 'GATEWAY_SIGNING_SECRETS', 'POSTGRES_PASSWORD', 'RABBITMQ_PASSWORD']) {
      expect(composeText, name).toMatch(new RegExp(`\\$\\{${name}:\\?`));
      expect(composeText, name).not.toMatch(new RegExp(`\\$\\{${name}:-`));
    }
    expect(composeText).not.toMatch(/guest/);
    expect(composeText).not.toMatch(/shop:shop@/);
    expect(compose.services.rabbitmq?.environment?.RABBITMQ_DEFAULT_PASS).toMatch(/^\$\{RABBITMQ_PASSWORD:\?/);
    expect(compose.services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
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
