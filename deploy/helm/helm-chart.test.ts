import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  exposureViolations,
  KUBERNETES_VERSION,
  type Manifest,
  networkViolations,
  PROCESSES,
  podSpecs,
  probeViolations,
  referenceViolations,
  resourceViolations,
  securityViolations,
} from './chart-policy.js';
import { schemaViolations } from './kubernetes-schema.js';

/**
 * `pnpm helm:check`: the chart deploy/helm/shop linted, rendered with the default values (plus the
 * fake credentials they require) and with the production-like values, every object validated
 * against the Kubernetes 1.36 API schema offline, and the chart's promises checked. Helm is built
 * from the Go module proxy by scripts/infra/helm.sh the first time (cached in .infra/bin).
 */
const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const chart = fileURLToPath(new URL('./shop', import.meta.url));
const credentials = fileURLToPath(new URL('./ci-credentials.yaml', import.meta.url));
const production = fileURLToPath(new URL('./shop/values-production.yaml', import.meta.url));
const kubeVersion = ['--kube-version', KUBERNETES_VERSION];

let helm = '';

async function template(...args: string[]): Promise<Manifest[]> {
  const release = ['--name-template', 'shop'];
  const { stdout } = await run(helm, ['template', chart, ...release, '--namespace', 'shop', ...kubeVersion, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);
}

/** `helm template`'s error output when it fails, or a failure of the test when it renders. */
async function templateError(...args: string[]): Promise<string> {
  try {
    await template(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
  throw new Error(`helm template ${args.join(' ')} rendered`);
}

const byKind = (objects: Manifest[], kind: string) => objects.filter((object) => object.kind === kind);
const named = (objects: Manifest[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name) as Manifest;
const container = (objects: Manifest[], process: string) =>
  named(objects, 'Deployment', `shop-${process}`).spec.template.spec.containers[0] as Manifest;
const CREDENTIALS = [
  'JWT_SECRET',
  'GATEWAY_SIGNING_SECRETS',
  'DATABASE_URL',
  'MONGO_URL',
  'AMQP_URL',
  'SMTP_URL',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
];
const productionValues = parse(readFileSync(production, 'utf8')) as Manifest;

describe('Helm chart deploy/helm/shop', () => {
  const scenarios: Record<string, string[]> = {
    'default values': ['-f', credentials],
    'production values': ['-f', production],
    'FerretDB backend': ['-f', credentials, '--set', 'mongo.ferretdb=true'],
    'gateway as a LoadBalancer': ['-f', credentials, '--set', 'gatewayService.type=LoadBalancer'],
    'gateway as a NodePort': ['-f', credentials, '--set', 'gatewayService.type=NodePort'],
    // Helm's longest release name: every object name must still be one Kubernetes accepts.
    'a 53-character release name': ['-f', credentials, '--name-template', 'a'.repeat(45).concat('-release')],
  };
  const rendered: Record<string, Manifest[]> = {};

  beforeAll(async () => {
    helm = process.env.HELM_BIN || (await run('bash', ['scripts/infra/helm.sh'], { cwd: repo })).stdout.trim();
    for (const [name, args] of Object.entries(scenarios)) rendered[name] = await template(...args);
  }, 1_500_000);

  it.each([
    ['default values', credentials],
    ['production values', production],
  ])('passes helm lint --strict with the %s', async (_name, values) => {
    const { stdout } = await run(helm, ['lint', chart, '--strict', ...kubeVersion, '-f', values]);
    expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.each(Object.keys(scenarios))('renders objects valid for Kubernetes 1.36 (%s)', async (name) => {
    const objects = rendered[name] as Manifest[];
    expect(objects.length).toBeGreaterThan(20);
    expect(await schemaViolations(objects)).toEqual([]);
  });

  it.each(Object.keys(scenarios))('keeps its policies (%s)', (name) => {
    const objects = rendered[name] as Manifest[];
    expect(securityViolations(objects)).toEqual([]);
    expect(resourceViolations(objects)).toEqual([]);
    expect(probeViolations(objects)).toEqual([]);
    expect(exposureViolations(objects)).toEqual([]);
    const network =
      name === 'production values' ? productionValues.networkPolicy : { gatewayFrom: [], metricsFrom: [] };
    expect(networkViolations(objects, network)).toEqual([]);
    const secrets = byKind(objects, 'Secret').map((secret) => secret.metadata.name);
    const existing = name === 'production values' ? [productionValues.secrets.existingSecret] : [];
    expect(referenceViolations(objects, [...secrets, ...existing])).toEqual([]);
  });

  it('runs the gateway and each subgraph from its own image on its port, and migrations as a hook', () => {
    const objects = rendered['default values'] as Manifest[];
    const deployments = byKind(objects, 'Deployment').map((deployment) => deployment.metadata.name);
    expect(deployments.sort()).toEqual(
      Object.keys(PROCESSES)
        .map((process) => `shop-${process}`)
        .sort(),
    );
    for (const [process, port] of Object.entries(PROCESSES)) {
      expect(container(objects, process).image).toBe(`shop-${process}:0.1.0`);
      expect(container(objects, process).ports[0]).toMatchObject({ name: 'http', containerPort: port });
      expect(named(objects, 'Service', `shop-${process}`).spec.ports).toEqual([
        { name: 'http', port, targetPort: 'http', protocol: 'TCP' },
      ]);
    }
    const job = named(objects, 'Job', 'shop-migrate');
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(job.spec.template.spec.containers[0].image).toBe('shop-migrate:0.1.0');
    const hookSecret = named(objects, 'Secret', 'shop-migrate');
    expect(Number(hookSecret.metadata.annotations['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations['helm.sh/hook-weight']),
    );
    const image = named(rendered['production values'] as Manifest[], 'Job', 'shop-migrate').spec.template.spec;
    expect(image.containers[0].image).toBe('registry.example.com/shop/shop-migrate:1.0.0');
  });

  it('gives each process the environment docker-compose.yml gives it, credentials only from the Secret', () => {
    const compose = parse(readFileSync(`${repo}/docker-compose.yml`, 'utf8'), { merge: true }) as Manifest;
    const objects = rendered['default values'] as Manifest[];
    for (const process of [...Object.keys(PROCESSES), 'migrate']) {
      const env: Manifest[] =
        process === 'migrate'
          ? named(objects, 'Job', 'shop-migrate').spec.template.spec.containers[0].env
          : container(objects, process).env;
      const names = env.map((variable) => variable.name);
      // Traces are optional (values: otel); the rest compose sets, the chart sets too.
      const wanted = Object.keys(compose.services[process].environment).filter((name) => !name.startsWith('OTEL_'));
      expect(names, process).toEqual(expect.arrayContaining(wanted));
      for (const variable of env) {
        if (CREDENTIALS.includes(variable.name)) {
          expect(variable.valueFrom?.secretKeyRef, `${process} ${variable.name}`).toBeDefined();
        }
        const key: string | undefined = variable.valueFrom?.secretKeyRef?.key;
        // A process reads its own broker and MongoDB credentials only.
        if (key && /-(mongo|amqp)-url$/.test(key))
          expect(key.startsWith(`${process}-`), `${process}: ${key}`).toBe(true);
      }
    }
    // Every key a container reads is in the chart's Secret (only the admin account's are optional).
    const stored = Object.keys(named(objects, 'Secret', 'shop-credentials').stringData);
    const read = podSpecs(objects)
      .filter(({ name }) => name !== 'shop-migrate')
      .flatMap(({ spec }) => spec.containers.flatMap((c: Manifest) => c.env ?? []))
      .map((variable: Manifest) => variable.valueFrom?.secretKeyRef)
      .filter((ref: Manifest | undefined) => ref && !ref.optional)
      .map((ref: Manifest) => ref.key);
    expect(stored).toEqual(expect.arrayContaining([...new Set(read)]));
    const secretText = JSON.stringify(byKind(objects, 'Deployment'));
    expect(secretText).not.toContain('ci-only');
  });

  it("keeps each client's own address on a gateway LoadBalancer (externalTrafficPolicy Local), which the per-address limits count by", () => {
    const spec = (objects: Manifest[]) => named(objects, 'Service', 'shop-gateway').spec as Manifest;
    expect(spec(rendered['gateway as a LoadBalancer'] as Manifest[])).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
    });
    expect(spec(rendered['default values'] as Manifest[]).externalTrafficPolicy).toBeUndefined();
    // A NodePort may be fronted by a balancer that sends to every node: Local would drop what reaches one without a gateway.
    expect(spec(rendered['gateway as a NodePort'] as Manifest[])).toMatchObject({
      type: 'NodePort',
      externalTrafficPolicy: 'Cluster',
    });
  });

  it('probes the endpoints the images health-check', () => {
    const dockerfile = readFileSync(`${repo}/Dockerfile`, 'utf8');
    const objects = rendered['default values'] as Manifest[];
    for (const process of Object.keys(PROCESSES)) {
      expect(dockerfile).toContain(container(objects, process).readinessProbe.httpGet.path);
    }
  });

  it('autoscales and budgets every process, and pins users, orders, payments and notifications to one replica on FerretDB', () => {
    const objects = rendered['default values'] as Manifest[];
    for (const process of Object.keys(PROCESSES)) {
      const hpa = named(objects, 'HorizontalPodAutoscaler', `shop-${process}`);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `shop-${process}` });
      expect(named(objects, 'Deployment', `shop-${process}`).spec.replicas).toBeUndefined();
      const pdb = named(objects, 'PodDisruptionBudget', `shop-${process}`);
      expect(pdb.spec.selector.matchLabels['app.kubernetes.io/component']).toBe(process);
    }
    const ferret = rendered['FerretDB backend'] as Manifest[];
    for (const process of Object.keys(PROCESSES)) {
      const single = ['users', 'orders', 'payments', 'notifications'].includes(process);
      const deployment = named(ferret, 'Deployment', `shop-${process}`);
      expect(deployment.spec.strategy.type, process).toBe(single ? 'Recreate' : 'RollingUpdate');
      expect(deployment.spec.replicas, process).toBe(single ? 1 : undefined);
      expect(named(ferret, 'HorizontalPodAutoscaler', `shop-${process}`) !== undefined, process).toBe(!single);
    }
  });

  it('puts a ServiceMonitor on every process behind serviceMonitor.enabled, never on the public port', () => {
    expect(byKind(rendered['default values'] as Manifest[], 'ServiceMonitor')).toEqual([]);
    const objects = rendered['production values'] as Manifest[];
    for (const [process, port] of Object.entries(PROCESSES)) {
      const monitor = named(objects, 'ServiceMonitor', `shop-${process}`);
      const selected = byKind(objects, 'Service').filter((service) =>
        Object.entries(monitor.spec.selector.matchLabels).every(
          ([key, value]) => service.metadata.labels[key] === value,
        ),
      );
      expect(selected, process).toHaveLength(1);
      // Its job is the process's name, as in deploy/prometheus.yml, which the alerting rules select.
      expect(selected[0]?.metadata.labels[monitor.spec.jobLabel], process).toBe(process);
      const scraped = selected[0]?.spec.ports.find((p: Manifest) => p.name === monitor.spec.endpoints[0].port);
      expect(scraped?.port, process).toBe(process === 'gateway' ? 9464 : port);
      // The series keep the process's own `service` label, which the docs' queries use.
      expect(monitor.spec.endpoints[0].honorLabels, process).toBe(true);
    }
  });

  it('puts the alerting rules of deploy/prometheus-alerts.yml in a PrometheusRule behind prometheusRule.enabled', () => {
    expect(byKind(rendered['default values'] as Manifest[], 'PrometheusRule')).toEqual([]);
    const rule = named(rendered['production values'] as Manifest[], 'PrometheusRule', 'shop-alerts');
    const alerts = parse(readFileSync(`${repo}/deploy/prometheus-alerts.yml`, 'utf8')) as Manifest;
    expect(rule.spec).toEqual(alerts);
    expect(rule.metadata.labels).toMatchObject(productionValues.prometheusRule.labels);
  });

  it('gives the migration hook the schema owner, products the login of postgres.url', async () => {
    const owner = 'postgresql://owner:owner-password@db:5432/shop';
    const objects = await template('-f', credentials, '--set', `postgres.migrateUrl=${owner}`);
    const hookSecret = named(objects, 'Secret', 'shop-migrate');
    expect(hookSecret.stringData['database-url']).toBe(owner);
    expect(named(objects, 'Secret', 'shop-credentials').stringData['database-url']).not.toBe(owner);
    // With an existing Secret, the hook reads the key it is told.
    const rendered = await template('-f', production);
    const hook = named(rendered, 'Job', 'shop-migrate').spec.template.spec.containers[0] as Manifest;
    expect(hook.env[0].valueFrom.secretKeyRef).toEqual({ name: 'shop-credentials', key: 'migrate-database-url' });
    const products = container(rendered, 'products');
    const url = products.env.find((variable: Manifest) => variable.name === 'DATABASE_URL');
    expect(url.valueFrom.secretKeyRef).toEqual({ name: 'shop-credentials', key: 'database-url' });
  });

  it("mounts the PostgreSQL server's CA (postgres.caSecret) in products and the migration hook only, and only its certificate", async () => {
    const objects = await template('-f', credentials, '--set', 'postgres.caSecret=shop-pg-ca');
    expect(await schemaViolations(objects)).toEqual([]);
    const mounting = podSpecs(objects).filter(({ spec }) =>
      spec.volumes.some((volume: Manifest) => volume.name === 'postgres-ca'),
    );
    expect(mounting.map(({ name }) => name).sort()).toEqual(['shop-migrate', 'shop-products']);
    const mounted = podSpecs(objects).filter(({ spec }) =>
      spec.containers.some((c: Manifest) => (c.volumeMounts ?? []).some((m: Manifest) => m.name === 'postgres-ca')),
    );
    expect(mounted.map(({ name }) => name).sort()).toEqual(['shop-migrate', 'shop-products']);
    for (const { spec } of mounting) {
      const volume = spec.volumes.find((candidate: Manifest) => candidate.name === 'postgres-ca');
      // A CA Secret may hold the CA's private key too: only the certificate is projected.
      expect(volume.secret).toEqual({ secretName: 'shop-pg-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
      expect(spec.containers[0].volumeMounts).toContainEqual({
        name: 'postgres-ca',
        mountPath: '/etc/shop/postgres-ca',
        readOnly: true,
      });
    }
    const without = podSpecs(rendered['default values'] as Manifest[]);
    expect(without.filter(({ spec }) => JSON.stringify(spec).includes('postgres-ca'))).toEqual([]);
  });

  it("gives every process the OTLP exporter's headers (a collector's credentials) from the Secret, never in plain text", async () => {
    const headers = 'x-api-key=ci-only-otlp-key';
    const objects = await template('-f', credentials, '--set', `secrets.otelHeaders=${headers}`);
    expect(named(objects, 'Secret', 'shop-credentials').stringData['otel-exporter-otlp-headers']).toBe(headers);
    for (const process of Object.keys(PROCESSES)) {
      const variable = container(objects, process).env.find((v: Manifest) => v.name === 'OTEL_EXPORTER_OTLP_HEADERS');
      expect(variable?.valueFrom?.secretKeyRef, process).toEqual({
        name: 'shop-credentials',
        key: 'otel-exporter-otlp-headers',
        optional: true,
      });
    }
    expect(JSON.stringify(byKind(objects, 'Deployment'))).not.toContain('ci-only-otlp-key');
    // Not in `otel`, whose values the Deployments carry as they are.
    expect(await templateError('-f', credentials, '--set', `otel.OTEL_EXPORTER_OTLP_HEADERS=${headers}`)).toContain(
      "invalid propertyName 'OTEL_EXPORTER_OTLP_HEADERS'",
    );
  });

  it("adds a process's own env to the chart's, and refuses one the chart sets (a duplicate name an upgrade's merge may drop)", async () => {
    const objects = await template('-f', credentials, '--set', 'services.orders.env.ORDER_PAYMENT_TIMEOUT=20m');
    const names = container(objects, 'orders').env.map((variable: Manifest) => variable.name);
    expect(names).toContain('ORDER_PAYMENT_TIMEOUT');
    expect(names.length).toBe(new Set(names).size);
    const setByChart = [
      ['orders', 'EVENTS_MAX_ATTEMPTS'],
      ['gateway', 'CORS_ORIGINS'],
      ['orders', 'JWT_SECRET'],
      ['orders', 'PRODUCTS_URL'],
      ['users', 'ADMIN_EMAIL'],
      ['notifications', 'MAIL_FROM'],
    ];
    for (const [process, variable] of setByChart) {
      expect(await templateError('-f', credentials, '--set', `services.${process}.env.${variable}=x`)).toContain(
        `services.${process}.env.${variable}: the chart sets ${variable} itself`,
      );
    }
  });

  it('refuses to render without each required value, naming it', async () => {
    expect(await templateError()).toContain('secrets.jwtSecret is required');
    const required: [string, string][] = [
      ['secrets.jwtSecret', 'secrets.jwtSecret is required'],
      ['secrets.gatewaySigningSecrets', 'secrets.gatewaySigningSecrets is required'],
      ['secrets.smtpUrl', 'secrets.smtpUrl is required'],
      ['postgres.url', 'postgres.url is required'],
      ['mongo.urls.orders', 'mongo.urls.orders is required'],
      ['rabbitmq.urls.gateway', 'rabbitmq.urls.gateway is required'],
      // Links customers follow and the sender mail servers check: never localhost or a made-up domain.
      ['passwordResetUrl', 'passwordResetUrl is required'],
      ['emailVerificationUrl', 'emailVerificationUrl is required'],
      ['mailFrom', 'mailFrom is required'],
    ];
    for (const [value, message] of required) {
      expect(await templateError('-f', credentials, '--set', `${value}=`), value).toContain(message);
    }
    // Behind an Ingress, without the controller's addresses every client shares one rate limit.
    const ingress = ['--set', 'ingress.enabled=true', '--set', 'ingress.hosts[0].host=shop.example.com'];
    expect(await templateError('-f', credentials, ...ingress)).toContain('trustProxy is required when ingress.enabled');
    // trustProxy is a range other pods share: only the NetworkPolicy keeps them from naming any client.
    const trusting = [...ingress, '--set', 'trustProxy=10.0.0.0/8'];
    expect(await templateError('-f', credentials, ...trusting)).toContain(
      'networkPolicy.gatewayFrom is required when ingress.enabled',
    );
    const controller = 'networkPolicy.gatewayFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name';
    expect(await template('-f', credentials, ...trusting, '--set', `${controller}=ingress-nginx`)).not.toHaveLength(0);
    expect(await template('-f', credentials, ...trusting, '--set', 'networkPolicy.enabled=false')).not.toHaveLength(0);
    expect(await templateError('-f', credentials, '--set', 'secrets.jwtSecret=short')).toContain(
      'secrets.jwtSecret must be at least 32 characters',
    );
    // A rotation's list: a short second secret would fail every pod at start instead; an empty
    // entry (a trailing comma) is dropped by the processes, and passes.
    expect(
      await template('-f', credentials, '--set', 'secrets.jwtSecret=a-long-enough-secret-0123456789abcdef\\,'),
    ).not.toHaveLength(0);
    expect(
      await templateError(
        '-f',
        credentials,
        '--set',
        'secrets.jwtSecret=a-long-enough-secret-0123456789abcdef\\,short',
      ),
    ).toContain('secrets.jwtSecret must be at least 32 characters');
    expect(
      await templateError(
        '-f',
        credentials,
        '--set',
        'secrets.gatewaySigningSecrets=a-long-enough-secret-0123456789abcdef\\,short',
      ),
    ).toContain('each secret must be at least 32 characters');
  });

  it('refuses misspelled or mistyped values (values.schema.json)', async () => {
    expect(await templateError('-f', credentials, '--set', 'secret.jwtSecret=x')).toContain(
      "additional properties 'secret' not allowed",
    );
    expect(await templateError('-f', credentials, '--set', 'gatewayService.type=ExternalName')).toContain(
      "at '/gatewayService/type': value must be one of 'ClusterIP', 'LoadBalancer', 'NodePort'",
    );
    expect(await templateError('-f', credentials, '--set', 'services.orders.replicas=0')).toContain(
      '/services/orders/replicas',
    );
  });

  it('has checks that fail on a broken object', async () => {
    const objects = structuredClone(rendered['default values'] as Manifest[]);
    const deployment = named(objects, 'Deployment', 'shop-orders');
    const orders = deployment.spec.template.spec.containers[0];
    orders.ports[0].containerPort = 'http';
    orders.securityContext.runAsUser = 0;
    orders.securityContext.readOnlyRootFilesystem = false;
    delete orders.resources.requests.cpu;
    delete orders.readinessProbe;
    named(objects, 'Service', 'shop-users').spec.type = 'NodePort';
    named(objects, 'NetworkPolicy', 'shop-products').spec.ingress[0].from.pop();
    named(objects, 'HorizontalPodAutoscaler', 'shop-gateway').apiVersion = 'autoscaling/v2beta2';
    named(objects, 'PodDisruptionBudget', 'shop-payments').spec.selector.matchLabels['app.kubernetes.io/component'] =
      'pay';
    named(objects, 'Service', 'shop-gateway-metrics').spec.ports[0].targetPort = 'prometheus';
    expect((await schemaViolations(objects)).join('\n')).toMatch(/shop-orders.*containerPort must be integer/);
    expect((await schemaViolations(objects)).join('\n')).toContain('autoscaling/v2beta2 is not a stable API version');
    expect(securityViolations(objects)).toEqual([
      'shop-orders/orders: no non-zero runAsUser',
      'shop-orders/orders: root file system is writable',
    ]);
    expect(resourceViolations(objects)).toEqual(['shop-orders/orders: no requests.cpu']);
    expect(probeViolations(objects)).toEqual(['shop-orders/orders: no readinessProbe']);
    expect(exposureViolations(objects)).toEqual(["shop-users: NodePort but not the gateway's API"]);
    expect(referenceViolations(objects, ['shop-credentials'])).toEqual([
      'shop-gateway-metrics: no container port prometheus',
      'PodDisruptionBudget shop-payments: selects no Deployment',
      'shop-migrate: reads Secret shop-migrate, which is not there',
    ]);
    expect(networkViolations(objects, { gatewayFrom: [], metricsFrom: [] })).toEqual([
      'products: admits [gateway] where [gateway orders] call it',
    ]);
  });
});
