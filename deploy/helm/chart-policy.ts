/**
 * What the chart promises about every rendered object, as checks that return what is wrong
 * (deploy/helm/helm-chart.test.ts runs them on `helm template` output, and on broken copies to
 * show that each can fail). Pure functions over parsed manifests; no Kubernetes cluster needed.
 */

/** The Kubernetes release the rendered objects are validated against (kubernetes-models 5.1.0 carries its OpenAPI schema). */
export const KUBERNETES_VERSION = '1.36.0';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML; each check reads the fields it needs
export type Manifest = Record<string, any>;

/** Gateway and subgraphs, with their ports (GUIDE: gateway 3000, subgraphs 3001–3005). */
export const PROCESSES = {
  gateway: 3000,
  users: 3001,
  products: 3002,
  orders: 3003,
  payments: 3004,
  notifications: 3005,
} as const;
export type ProcessName = keyof typeof PROCESSES;

const componentOf = (object: Manifest): string | undefined => object.metadata?.labels?.['app.kubernetes.io/component'];

/** Deployments and Jobs: every object that runs containers. */
export function podSpecs(objects: Manifest[]): { name: string; labels: Record<string, string>; spec: Manifest }[] {
  return objects
    .filter((object) => object.kind === 'Deployment' || object.kind === 'Job')
    .map(({ metadata, spec }) => ({
      name: metadata.name,
      labels: spec.template.metadata?.labels ?? {},
      spec: spec.template.spec,
    }));
}

/** No container as root, none can gain privileges or write its root file system, none keeps a capability. */
export function securityViolations(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { name, spec } of podSpecs(objects)) {
    const pod = spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) problems.push(`${name}: pod securityContext.runAsNonRoot is not true`);
    if (pod.runAsUser === 0) problems.push(`${name}: pod runs as uid 0`);
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      const at = `${name}/${container.name}`;
      const security = container.securityContext ?? {};
      const runAsNonRoot = security.runAsNonRoot ?? pod.runAsNonRoot;
      const runAsUser = security.runAsUser ?? pod.runAsUser;
      if (runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (runAsUser === undefined || runAsUser === 0) problems.push(`${at}: no non-zero runAsUser`);
      if (security.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (security.readOnlyRootFilesystem !== true) problems.push(`${at}: root file system is writable`);
      if (security.privileged === true) problems.push(`${at}: privileged`);
      if (!security.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities are not all dropped`);
    }
  }
  return problems;
}

/** CPU and memory requests and a memory limit on every container (the HPA needs the CPU request). */
export function resourceViolations(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { name, spec } of podSpecs(objects)) {
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      const { requests = {}, limits = {} } = container.resources ?? {};
      for (const [what, value] of [
        ['requests.cpu', requests.cpu],
        ['requests.memory', requests.memory],
        ['limits.memory', limits.memory],
      ]) {
        if (value === undefined || value === null || value === '')
          problems.push(`${name}/${container.name}: no ${what}`);
      }
    }
  }
  return problems;
}

/** Every Deployment: liveness on /health/live and readiness on /health/ready, on a port the container declares. */
export function probeViolations(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
    for (const container of deployment.spec.template.spec.containers) {
      const at = `${deployment.metadata.name}/${container.name}`;
      const ports = new Set((container.ports ?? []).flatMap((port: Manifest) => [port.name, port.containerPort]));
      for (const [probe, path] of [
        ['livenessProbe', '/health/live'],
        ['readinessProbe', '/health/ready'],
      ] as const) {
        const get = container[probe]?.httpGet;
        if (!get) problems.push(`${at}: no ${probe}`);
        else if (get.path !== path) problems.push(`${at}: ${probe} asks ${get.path}, not ${path}`);
        else if (!ports.has(get.port)) problems.push(`${at}: ${probe} port ${get.port} is not a container port`);
      }
    }
  }
  return problems;
}

/**
 * Only the gateway is reachable from outside: no other Service is a LoadBalancer or NodePort (nor
 * has external IPs), the gateway's exposed Service carries only its API port, and every Ingress
 * route leads to the gateway's Service.
 */
export function exposureViolations(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const services = objects.filter((object) => object.kind === 'Service');
  const gatewayService = services.find(
    (service) => componentOf(service) === 'gateway' && service.spec.ports.some((port: Manifest) => port.port === 3000),
  );
  for (const service of services) {
    const exposed = ['LoadBalancer', 'NodePort'].includes(service.spec.type) || service.spec.externalIPs?.length;
    if (!exposed) continue;
    if (service !== gatewayService) {
      problems.push(`${service.metadata.name}: ${service.spec.type} but not the gateway's API`);
      continue;
    }
    const other = service.spec.ports.filter((port: Manifest) => port.port !== 3000);
    if (other.length) problems.push(`${service.metadata.name}: exposes ports ${other.map((p: Manifest) => p.port)}`);
  }
  for (const ingress of objects.filter((object) => object.kind === 'Ingress')) {
    const backends = [
      ingress.spec.defaultBackend,
      ...(ingress.spec.rules ?? []).flatMap((rule: Manifest) =>
        (rule.http?.paths ?? []).map((path: Manifest) => path.backend),
      ),
    ].filter(Boolean);
    for (const backend of backends) {
      if (backend.service?.name !== gatewayService?.metadata.name || backend.service?.port?.number === 9464) {
        problems.push(`${ingress.metadata.name}: routes to ${JSON.stringify(backend)}, not the gateway's API`);
      }
    }
  }
  return problems;
}

/** A peer or object as text with sorted keys, so the same peer compares equal however it was written. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Who the NetworkPolicies let into each process's API port: process names for pods of the release,
 * '*' for any source, and other peers (namespaces, address blocks) as canonical text.
 */
export function allowedSources(objects: Manifest[]): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  for (const policy of objects.filter((object) => object.kind === 'NetworkPolicy')) {
    const target = policy.spec.podSelector?.matchLabels?.['app.kubernetes.io/component'] as ProcessName | undefined;
    if (!target) continue;
    const sources = allowed.get(target) ?? new Set<string>();
    for (const rule of policy.spec.ingress ?? []) {
      const apiPort = (rule.ports ?? []).some(
        (port: Manifest) => port.port === 'http' || port.port === PROCESSES[target],
      );
      if (!apiPort) continue;
      if (!rule.from?.length) sources.add('*');
      for (const peer of rule.from ?? []) {
        const component = peer.podSelector?.matchLabels?.['app.kubernetes.io/component'];
        sources.add(component && !peer.namespaceSelector && !peer.ipBlock ? component : canonical(peer));
      }
    }
    allowed.set(target, sources);
  }
  return allowed;
}

/** The peers configured in values: who may reach the gateway (none listed: anyone), and who scrapes /metrics. */
export interface NetworkSettings {
  gatewayFrom: Manifest[];
  metricsFrom: Manifest[];
}

/**
 * Network: a default-deny policy covers every pod of the release; the gateway's API is the only
 * port open to outside sources; a subgraph's port admits exactly the processes that call it, as the
 * rendered `<NAME>_URL` variables say (so a policy is neither narrower nor wider than the calls),
 * plus the configured scrapers (subgraphs serve /metrics on their API port).
 */
export function networkViolations(objects: Manifest[], settings: NetworkSettings): string[] {
  const problems: string[] = [];
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
  const denyAll = policies.find(
    (policy) =>
      !policy.spec.podSelector?.matchLabels?.['app.kubernetes.io/component'] &&
      policy.spec.policyTypes?.includes('Ingress') &&
      !policy.spec.ingress?.length,
  );
  if (!denyAll) problems.push('no default-deny ingress policy');
  for (const { name, labels } of podSpecs(objects)) {
    const covered = Object.entries(denyAll?.spec.podSelector.matchLabels ?? { none: '' }).every(
      ([key, value]) => labels[key] === value,
    );
    if (!covered) problems.push(`${name}: its pods are not under the default-deny policy`);
  }
  const callers = new Map<string, Set<string>>();
  for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
    const caller = componentOf(deployment) as string;
    for (const { name } of deployment.spec.template.spec.containers.flatMap((c: Manifest) => c.env ?? [])) {
      const called = /^([A-Z]+)_URL$/.exec(name)?.[1]?.toLowerCase();
      if (called && called in PROCESSES) callers.set(called, (callers.get(called) ?? new Set()).add(caller));
    }
  }
  const allowed = allowedSources(objects);
  const scrapers = settings.metricsFrom.map(canonical);
  for (const process of Object.keys(PROCESSES)) {
    const sources = [...(allowed.get(process) ?? [])].sort();
    const wanted =
      process === 'gateway'
        ? settings.gatewayFrom.length
          ? settings.gatewayFrom.map(canonical)
          : ['*']
        : [...(callers.get(process) ?? []), ...scrapers];
    const expected = [...new Set(wanted)].sort();
    if (canonical(sources) !== canonical(expected)) {
      problems.push(`${process}: admits [${sources.join(' ')}] where [${expected.join(' ')}] call it`);
    }
  }
  return problems;
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? { none: '' }).every(([key, value]) => labels[key] === value);

/**
 * What the schema cannot see across objects: each selector finds the pods it is for, each
 * reference names an object that is there, and every name is one Kubernetes accepts (a Service's
 * is a DNS-1035 label of at most 63 characters).
 */
export function referenceViolations(objects: Manifest[], secretNames: string[]): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const podsOf = (selector: Record<string, string> | undefined) =>
    deployments.filter((deployment) => selects(selector, deployment.spec.template.metadata.labels));
  for (const object of objects) {
    const { name } = object.metadata;
    if (name.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name))
      problems.push(`${object.kind} ${name}: bad name`);
  }
  for (const deployment of deployments) {
    if (!selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)) {
      problems.push(`${deployment.metadata.name}: selector does not match its pods`);
    }
  }
  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const [target, ...more] = podsOf(service.spec.selector);
    if (!target || more.length)
      problems.push(`${service.metadata.name}: selects ${more.length + (target ? 1 : 0)} Deployments`);
    const ports = new Set(
      target?.spec.template.spec.containers.flatMap((c: Manifest) => c.ports.map((p: Manifest) => p.name)),
    );
    for (const port of service.spec.ports) {
      if (!ports.has(port.targetPort)) problems.push(`${service.metadata.name}: no container port ${port.targetPort}`);
    }
  }
  for (const kind of ['PodDisruptionBudget', 'NetworkPolicy']) {
    for (const object of objects.filter((candidate) => candidate.kind === kind)) {
      const selector =
        kind === 'NetworkPolicy' ? object.spec.podSelector.matchLabels : object.spec.selector.matchLabels;
      if (podsOf(selector).length === 0) problems.push(`${kind} ${object.metadata.name}: selects no Deployment`);
    }
  }
  for (const hpa of objects.filter((object) => object.kind === 'HorizontalPodAutoscaler')) {
    if (!deployments.some((deployment) => deployment.metadata.name === hpa.spec.scaleTargetRef.name)) {
      problems.push(`${hpa.metadata.name}: scales a Deployment that is not there`);
    }
  }
  for (const { name, spec } of podSpecs(objects)) {
    for (const variable of spec.containers.flatMap((c: Manifest) => c.env ?? [])) {
      const secret = variable.valueFrom?.secretKeyRef?.name;
      if (secret && !secretNames.includes(secret)) problems.push(`${name}: reads Secret ${secret}, which is not there`);
    }
  }
  return problems;
}
