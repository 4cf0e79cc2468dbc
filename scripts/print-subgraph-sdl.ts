// Prints one subgraph's federation SDL to stdout. Run in its own process by compose.ts, since
// type-graphql keeps its metadata per process and subgraphs reuse type names (User, Order…).
import { printSubgraphSdl, type SubgraphDefinition } from '@shop/platform/subgraph';

const name = process.argv[2];
const module: Record<string, unknown> = await import(`../subgraphs/${name}/src/schema.ts`);
const definition = Object.values(module).find(
  (value): value is SubgraphDefinition => (value as SubgraphDefinition | undefined)?.name === name,
);
if (!definition) throw new Error(`subgraphs/${name}/src/schema.ts exports no SubgraphDefinition named "${name}"`);
process.stdout.write(await printSubgraphSdl(definition));
process.exit(0);
