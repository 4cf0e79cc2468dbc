// Every query, mutation, subscription and field resolver of every subgraph states who may use
// it: `@Authorized(...)` or `@Public()`. A forgotten decorator fails the build, not a pen test.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SubgraphDefinition, unguardedOperations } from '@shop/platform/subgraph';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { subgraphs } = parse(readFileSync(resolve(root, 'supergraph.yaml'), 'utf8')) as {
  subgraphs: Record<string, unknown>;
};

describe('authorization is declared', () => {
  for (const name of Object.keys(subgraphs)) {
    it(`on every ${name} operation`, async () => {
      const module: Record<string, unknown> = await import(`../subgraphs/${name}/src/schema.ts`);
      const definition = Object.values(module).find(
        (value): value is SubgraphDefinition => (value as SubgraphDefinition | undefined)?.name === name,
      );
      expect(definition, `subgraphs/${name}/src/schema.ts exports its SubgraphDefinition`).toBeDefined();
      expect(unguardedOperations(definition?.resolvers ?? [])).toEqual([]);
    });
  }
});
