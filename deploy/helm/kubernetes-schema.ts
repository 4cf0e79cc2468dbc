import type { Manifest } from './chart-policy.js';

/**
 * Offline validation of rendered objects against the Kubernetes API's OpenAPI schema, as compiled
 * by kubernetes-models 5.1.0 (Kubernetes 1.36.0, deploy/helm/chart-policy.ts KUBERNETES_VERSION)
 * and @kubernetes-models/prometheus-operator (the ServiceMonitor CRD): field types, required
 * fields, enums and formats. The package also keeps the schemas of APIs removed before 1.36 (it
 * merges older releases), so only stable group versions are accepted: no stable version has been
 * removed, so a stable one the package knows is served by 1.36. The OpenAPI schema does not forbid
 * unknown fields; the policy checks read the fields the chart promises by their exact names.
 */
export async function schemaViolations(objects: Manifest[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const at = `${object.kind} ${object.metadata?.name}`;
    const [group, version] = String(object.apiVersion).includes('/')
      ? String(object.apiVersion).split('/')
      : ['', String(object.apiVersion)];
    if (!/^v\d+$/.test(version ?? '')) {
      problems.push(`${at}: ${object.apiVersion} is not a stable API version`);
      continue;
    }
    const model = await loadModel(group ?? '', version ?? '', String(object.kind));
    if (!model) {
      problems.push(`${at}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (error) {
      const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors ?? [];
      const lines = details.map((detail) => `${detail.instancePath} ${detail.message}`);
      problems.push(`${at}: ${lines.join('; ') || String(error)}`);
    }
  }
  return problems;
}

type Model = new (data: Manifest) => { validate(): void };

async function loadModel(group: string, version: string, kind: string): Promise<Model | undefined> {
  const specifier =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  try {
    const module = (await import(specifier)) as Record<string, Model>;
    return module[kind];
  } catch {
    return undefined;
  }
}
