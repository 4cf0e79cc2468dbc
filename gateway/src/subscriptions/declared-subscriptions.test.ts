import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildASTSchema, getNamedType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { declaredSubscriptions } from './declared-subscriptions.js';

// The repository's composed supergraph: the subgraphs declare `Subscription`, the gateway serves it.
const supergraph = buildASTSchema(
  parse(readFileSync(fileURLToPath(new URL('../../../supergraph.graphql', import.meta.url)), 'utf8')),
  { assumeValidSDL: true },
);

describe('declared subscriptions', () => {
  it("serve every Subscription field of the supergraph, and only those, by the field's one ID! argument and current", () => {
    const fields = Object.values(supergraph.getSubscriptionType()?.getFields() ?? {});
    expect(fields.map((field) => field.name).sort()).toEqual(declaredSubscriptions.map((d) => d.field).sort());
    for (const declaration of declaredSubscriptions) {
      const field = fields.find((candidate) => candidate.name === declaration.field);
      expect(field?.args.map((arg) => `${arg.name}: ${arg.type}`)).toEqual([
        `${declaration.argument}: ID!`,
        'current: Boolean',
      ]);
      // Asked for, the payload as it is now comes first; by default only changes are sent (the contract).
      expect(field?.args[1]?.defaultValue).toBe(false);
    }
  });

  it("resolve each payload with a Query field of the subscription's type, and authorize with a Query field", () => {
    const query = supergraph.getQueryType()?.getFields() ?? {};
    for (const { field, authorize, resolve } of declaredSubscriptions) {
      const subscription = supergraph.getSubscriptionType()?.getFields()[field];
      expect(query[authorize.field], field).toBeDefined();
      expect(getNamedType(query[resolve.field]?.type)?.name, field).toBe(getNamedType(subscription?.type)?.name);
      for (const name of [...Object.keys(authorize.arguments), ...Object.keys(resolve.arguments)]) {
        const args = [...(query[authorize.field]?.args ?? []), ...(query[resolve.field]?.args ?? [])];
        expect(
          args.map((arg) => arg.name),
          field,
        ).toContain(name);
      }
    }
  });
});
