// Static check of docker-compose.yml against the code (CI has no Docker engine): every process
// is built from the Dockerfile template with its own port, gets only variables its config knows,
// and that config parses; every service is health-gated.
import { resolve } from 'node:path';
import { baseConfigShape, parseConfig, SHUTDOWN_TIMEOUT_MS } from '@shop/platform/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { interpolate, processes, read, root } from './compose.test-fixture.js';
import { merge, readComposeFile } from './compose-merge.js';

interface ComposeService {
  image?: string;
  entrypoint?: string[];
  volumes?: string[];
  profiles?: string[];
  networks?: string[];
  command?: string[];
  build?: { target?: string; args?: Record<string, string | number> };
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: unknown;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  deploy?: { resources?: { limits?: Record<string, string | number> } };
}
/** The Helm chart's defaults, whose memory limits the compose file repeats. */
const chartValues = parse(read('deploy/helm/shop/values.yaml')) as {
  services: Record<string, { resources: { limits: { memory: string } } } | undefined>;
  migrations: { resources: { limits: { memory: string } } };
};
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean }>;
};

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

      it('runs on a read-only root file system, with /tmp in memory, without capabilities or a way to gain privileges', () => {
        expect(service?.read_only).toBe(true);
        expect(service?.tmpfs).toEqual(['/tmp']);
        expect(service?.cap_drop).toEqual(['ALL']);
        expect(service?.security_opt).toEqual(['no-new-privileges:true']);
      });

      it('is bounded in memory as the Helm chart bounds it, and in processes and threads', () => {
        const chart = chartValues.services[name]?.resources.limits.memory;
        expect(service?.deploy?.resources?.limits).toEqual({ memory: chart?.replace(/Mi$/, 'M'), pids: 256 });
      });

      it('is given longer to stop than its own shutdown bound, so it is not killed while it drains', () => {
        expect(Number.parseInt(String(service?.stop_grace_period), 10) * 1000).toBeGreaterThan(SHUTDOWN_TIMEOUT_MS);
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

  it('runs the migration job as hardened as the processes', () => {
    const migrate = compose.services.migrate;
    expect(migrate?.read_only).toBe(true);
    expect(migrate?.tmpfs).toEqual(['/tmp']);
    expect(migrate?.cap_drop).toEqual(['ALL']);
    expect(migrate?.security_opt).toEqual(['no-new-privileges:true']);
    const chart = chartValues.migrations.resources.limits.memory;
    expect(migrate?.deploy?.resources?.limits).toEqual({ memory: chart.replace(/Mi$/, 'M'), pids: 256 });
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

  it('keeps backing services and subgraphs on an internal network; the gateway, and notifications for its mail, also reach the outside', () => {
    expect(compose.networks.backend?.internal).toBe(true);
    for (const name of ['mongo', 'postgres', 'rabbitmq', 'migrate', 'users', 'products', 'orders', 'payments']) {
      expect(compose.services[name]?.networks, name).toEqual(['backend']);
    }
    expect(compose.services.gateway?.networks).toEqual(['backend', 'edge']);
    // The mail server (SMTP_URL) is outside: on `backend` alone, no email would ever leave.
    expect(compose.services.notifications?.networks).toEqual(['backend', 'outbound']);
    expect(compose.networks.outbound?.internal).toBeUndefined();
    const onOutbound = Object.entries(compose.services).filter(([, service]) => service.networks?.includes('outbound'));
    expect(onOutbound.map(([name]) => name)).toEqual(['notifications']);
  });

  it('passes TRUST_PROXY from .env to the gateway, which behind a proxy of your own needs it', () => {
    expect(compose.services.gateway?.environment?.TRUST_PROXY).toMatch(/^\$\{TRUST_PROXY:-\}$/);
    expect(scaled.gateway?.environment?.TRUST_PROXY).toBe('172.28.0.2');
  });

  it('takes every credential from the environment, with no default and no guest', () => {
    // A secret with a default (`${VAR:-value}`) would run with that value when .env forgets it.
    for (const name of [
      'JWT_SECRET',
      'GATEWAY_SIGNING_SECRETS',
      'POSTGRES_PASSWORD',
      'POSTGRES_PRODUCTS_PASSWORD',
      'RABBITMQ_PASSWORD',
      'MONGO_ROOT_PASSWORD',
      'MONGO_REPLICA_KEY',
      ...MONGO_SERVICES.map((service) => `MONGO_${service.toUpperCase()}_PASSWORD`),
      ...AMQP_SERVICES.map((service) => `RABBITMQ_${service.toUpperCase()}_PASSWORD`),
    ]) {
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

// Finding 1 of issue #17: one database user and one broker user per service, each limited to what
// that service owns. Checked on docker-compose.yml alone and merged with compose.scale.yml.
const MONGO_SERVICES = ['users', 'orders', 'payments', 'notifications'] as const;
const AMQP_SERVICES = ['orders', 'payments', 'notifications', 'products', 'gateway', 'users'] as const;
const scaled = (
  merge(readComposeFile(resolve(root, 'docker-compose.yml')), readComposeFile(resolve(root, 'compose.scale.yml'))) as {
    services: Record<string, ComposeService>;
  }
).services;
const mongoInit = read('deploy/mongo/create-service-users.js');
const brokerUsers = read('deploy/rabbitmq/service-users.sh');

for (const [file, services] of [
  ['docker-compose.yml', compose.services],
  ['docker-compose.yml + compose.scale.yml', scaled],
] as const) {
  describe(`${file}: a MongoDB user and a RabbitMQ user per service`, () => {
    it('runs MongoDB with access control: root and replica-set key from .env, service users made by the init script', () => {
      const mongo = services.mongo;
      expect(mongo?.command).toEqual(expect.arrayContaining(['--keyFile', '/tmp/replica.key']));
      expect(mongo?.environment?.MONGO_INITDB_ROOT_PASSWORD).toMatch(/^\$\{MONGO_ROOT_PASSWORD:\?/);
      expect(mongo?.environment?.MONGO_REPLICA_KEY).toMatch(/^\$\{MONGO_REPLICA_KEY:\?/);
      expect(mongo?.volumes).toContain(
        './deploy/mongo/create-service-users.js:/docker-entrypoint-initdb.d/10-create-service-users.js:ro',
      );
      // The healthcheck signs in from the environment: no password on a command line.
      expect(JSON.stringify(mongo?.healthcheck)).toContain('process.env.MONGO_INITDB_ROOT_PASSWORD');
      expect(mongoInit).toMatch(/roles: \[\{ role: 'readWrite', db: dbName \}\]/);
      expect(mongoInit).toMatch(/const dbName = `\$\{prefix\}_\$\{service\}`/);
      expect([...mongoInit.matchAll(/role: '(\w+)'/g)].map((match) => match[1])).toEqual(['readWrite']);
    });

    for (const service of MONGO_SERVICES) {
      it(`${service}: MONGO_URL signs in as ${service} to its own database, with its own password`, () => {
        const variable = `MONGO_${service.toUpperCase()}_PASSWORD`;
        const raw = String(services[service]?.environment?.MONGO_URL);
        expect(raw).toContain(`:\${${variable}:?`);
        const url = new URL(interpolate(raw));
        expect(url.username).toBe(service);
        expect(url.password).toBe(`required-${variable.toLowerCase()}`);
        expect(url.pathname).toBe(`/shop_${service}`);
        expect(url.searchParams.get('authSource')).toBe(`shop_${service}`);
        expect(services.mongo?.environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}:\\?`));
        expect(mongoInit).toContain(`'${service}'`);
      });
    }

    it('signs products in to PostgreSQL as a login of its own that may only read and write rows; the migrate job owns the schema', () => {
      const products = new URL(interpolate(String(services.products?.environment?.DATABASE_URL)));
      expect(products.username).toBe('products');
      expect(products.password).toBe('required-postgres_products_password');
      const migrate = new URL(interpolate(String(services.migrate?.environment?.DATABASE_URL)));
      expect(migrate.username).toBe('shop');
      expect(services.postgres?.environment?.POSTGRES_PRODUCTS_PASSWORD).toMatch(/^\$\{POSTGRES_PRODUCTS_PASSWORD:\?/);
      expect(services.postgres?.volumes).toContain('./deploy/postgres:/docker-entrypoint-initdb.d:ro');
      const productsUser = read('deploy/postgres/create-products-user.sh');
      expect(productsUser).toMatch(/ALTER ROLE products WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE/);
      const granted = [
        ...productsUser.matchAll(
          /^(?:ALTER DEFAULT PRIVILEGES FOR ROLE :"schema_owner" IN SCHEMA public )?GRANT ([A-Z, ]+) ON/gm,
        ),
      ];
      // Default privileges are the owner's: run by a superuser, the script still covers later migrations.
      expect(productsUser.match(/^ALTER DEFAULT PRIVILEGES FOR ROLE :"schema_owner" /gm)).toHaveLength(2);
      expect(productsUser).not.toMatch(/^ALTER DEFAULT PRIVILEGES IN /m);
      expect(new Set(granted.map((match) => match[1]))).toEqual(
        new Set(['USAGE', 'SELECT, INSERT, UPDATE, DELETE', 'USAGE, SELECT']),
      );
      // The password comes from the environment inside psql, never from its arguments.
      expect(productsUser).toContain('\\getenv products_password POSTGRES_PRODUCTS_PASSWORD');
    });

    it('gives no MongoDB credentials to products and the gateway, which use none', () => {
      expect(services.products?.environment?.MONGO_URL).toBeUndefined();
      expect(services.gateway?.environment?.MONGO_URL).toBeUndefined();
    });

    it("creates the broker's service users from deploy/rabbitmq/service-users.sh before reporting healthy", () => {
      const rabbitmq = services.rabbitmq;
      expect(rabbitmq?.entrypoint).toEqual(['bash', '/etc/shop/rabbitmq/entrypoint.sh']);
      expect(rabbitmq?.volumes).toContain('./deploy/rabbitmq:/etc/shop/rabbitmq:ro');
      expect(JSON.stringify(rabbitmq?.healthcheck)).toContain('/tmp/service-users-ready');
      expect(read('deploy/rabbitmq/entrypoint.sh')).toContain('bash /etc/shop/rabbitmq/service-users.sh');
      // No service runs as the operator's default user.
      for (const [name, definition] of Object.entries(services)) {
        expect(String(definition.environment?.AMQP_URL ?? ''), name).not.toMatch(/RABBITMQ_USER\b/);
      }
      // Passwords reach rabbitmqctl on standard input, never in the arguments the host's process list shows.
      const commands = brokerUsers.split('\n').filter((line) => /rabbitmqctl/.test(line));
      expect(commands.filter((line) => /add_user|change_password/.test(line))).toHaveLength(2);
      for (const line of commands) expect(line.replace(/^.*\|/, '')).not.toMatch(/password"|\$password/);
    });

    for (const service of AMQP_SERVICES) {
      it(`${service}: AMQP_URL signs in as ${service}, granted only its own names and routing keys`, () => {
        const variable = `RABBITMQ_${service.toUpperCase()}_PASSWORD`;
        const raw = String(services[service]?.environment?.AMQP_URL);
        expect(raw).toContain(`:\${${variable}:?`);
        const url = new URL(interpolate(raw));
        expect(url.username).toBe(service);
        expect(url.password).toBe(`required-${variable.toLowerCase()}`);
        expect(services.rabbitmq?.environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}:\\?`));
        expect(brokerUsers).toMatch(new RegExp(`^grant ${service} '${service}\\\\\\.\\.\\*' `, 'm'));
        // The shared exchange comes from service-users.sh; the service only checks it.
        expect(services[service]?.environment?.AMQP_EXCHANGE_PROVISIONED, service).toBe('true');
      });
    }

    it('lets no service write to the default exchange, configure the shared one, or publish as another', () => {
      const grants = Object.fromEntries(
        [...brokerUsers.matchAll(/^grant (\w+) '[^']*' '([^']*)'/gm)].map((match) => [
          match[1],
          { publishes: match[2] },
        ]),
      );
      expect(Object.keys(grants).sort()).toEqual([...AMQP_SERVICES].sort());
      // Configure: its own names only; write and read: its own names and the shared exchange. Nothing else.
      expect(brokerUsers).toMatch(/local own_names="\^\(\$\{own\}\)\\\$" names="\^\(\$\{own\}\|\$\{x\}\)\\\$"/);
      expect(brokerUsers).toContain('set_permissions -p "$vhost" "$user" "$own_names" "$names" "$names"');
      expect(brokerUsers).toMatch(/printf '\{"exchanges":\[\{"name":"%s","vhost":"%s","type":"topic","durable":true/);
      expect(grants.gateway?.publishes).toBe('^$');
      expect(grants.notifications?.publishes).toBe('^notification\\.(email|sms)$');
      expect(grants.payments?.publishes).toBe('^payment\\.(succeeded|failed)$');
      expect(grants.users?.publishes).toBe('^(notification\\.email|user\\.deleted)$');
    });
  });
}
