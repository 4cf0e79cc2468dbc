import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type DocumentNode, Kind, type OperationDefinitionNode, parse, print } from 'graphql';
import { z } from 'zod';

/** One operation of Apollo's persisted query manifest (`apollo-persisted-query-manifest`, version 1). */
export interface PersistedOperation {
  /** What clients send: `documentId` (GraphQL over HTTP) or `extensions.persistedQuery.sha256Hash` (Apollo). */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: PersistedOperation[];
}

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

/** The same document whatever its layout: whitespace, commas and comments do not count. */
const canonical = (document: DocumentNode): string => print(document);

/** A client's trusted documents, by id and by content. */
export class PersistedDocuments {
  private readonly byIds = new Map<string, string>();
  private readonly bodies = new Set<string>();

  constructor(manifest: PersistedQueryManifest) {
    for (const operation of manifest.operations) {
      this.byIds.set(operation.id, operation.body);
      this.bodies.add(canonical(parse(operation.body)));
    }
  }

  /** Reads a manifest file; a missing or malformed one stops the gateway with the variable's name. */
  static async load(path: string): Promise<PersistedDocuments> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new Error(`PERSISTED_DOCUMENTS_PATH: cannot read a JSON manifest at ${path}`, { cause: error });
    }
    const manifest = manifestSchema.safeParse(raw);
    if (!manifest.success) {
      throw new Error(`PERSISTED_DOCUMENTS_PATH: ${path} is not an apollo-persisted-query-manifest (version 1)`);
    }
    return new PersistedDocuments(manifest.data);
  }

  /** The document of an id; `sha256:<hex>` (GraphQL over HTTP's prefixed form) and `<hex>` name the same one. */
  body(id: string): string | undefined {
    return this.byIds.get(id) ?? this.byIds.get(id.replace(/^sha256:/, ''));
  }

  /** Is this (parsed) document one of the manifest's, however it is laid out? */
  contains(document: DocumentNode): boolean {
    return this.bodies.has(canonical(document));
  }
}

/** A manifest of the given documents as a client build makes one: the id is the SHA-256 of the body. */
export function buildManifest(bodies: string[]): PersistedQueryManifest {
  const operations = bodies.map((body) => {
    const operation = parse(body).definitions.find(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    );
    if (!operation?.name) throw new Error(`not a named operation: ${body.slice(0, 60)}…`);
    return {
      id: createHash('sha256').update(body).digest('hex'),
      name: operation.name.value,
      type: operation.operation as PersistedOperation['type'],
      body,
    };
  });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}
