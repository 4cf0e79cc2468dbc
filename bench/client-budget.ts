// `pnpm bench:client-budget`: what the client cost budget (gateway/src/graphql/client-budget.plugin.ts)
// costs the gateway, in one process, the plugin's hook called directly:
// - µs per request for one client sending the storefront's product page again and again (the
//   operation's cost remembered, one count spent), and for a new client on every request;
// - heap per client counted within the window: what clients the gateway has not seen before hold
//   (an anonymous flood from many addresses), until their window ends.
import { graphqlLimits } from '@shop/platform/http';
import { buildSchema, parse } from 'graphql';
import { clientBudgetPlugin } from '../gateway/src/graphql/client-budget.plugin.js';
import { loadAverage } from './load.js';

const CALLS = 200_000;
const CLIENTS = 100_000;

// The shape the cost count reads: a page of products with the storefront's fields.
const schema = buildSchema(`
  type Product { id: ID! name: String! description: String! price: Float! category: String! inventory: Int! images: [String!]! }
  type ProductEdge { node: Product! cursor: String! }
  type ProductConnection { edges: [ProductEdge!]! totalCount: Int! }
  type Query { products(first: Int = 20, after: String): ProductConnection! }
`);
const document = parse(
  '{ products(first: 20) { totalCount edges { node { id name description price category inventory images } } } }',
);

const limits = graphqlLimits({
  NODE_ENV: 'production',
  GRAPHQL_MAX_DEPTH: 10,
  GRAPHQL_MAX_COST: 10_000,
  GRAPHQL_MAX_ALIASES: 15,
  GRAPHQL_MAX_DIRECTIVES: 20,
  GRAPHQL_MAX_TOKENS: 2_000,
});

/** The plugin's `didResolveOperation`, as Apollo Server calls it, for a budget no client exhausts here. */
async function budgetHook() {
  const settings = {
    CLIENT_COST_BUDGET: 1e12,
    CLIENT_COST_WINDOW: 60_000,
    GRAPHQL_MAX_COST: 10_000,
    GATEWAY_WORKERS: 1,
  };
  const plugin = clientBudgetPlugin(settings, limits.cost);
  const listener = await plugin.requestDidStart?.({} as never);
  const hook = listener?.didResolveOperation;
  if (!hook) throw new Error('the budget plugin has no didResolveOperation');
  return (key: string) =>
    hook({
      schema,
      document,
      request: { variables: {} },
      operationName: null,
      contextValue: { budget: { key, headers: {} } },
    } as never);
}

async function microsecondsPerCall(keyOf: (call: number) => string): Promise<number> {
  const spend = await budgetHook();
  for (let i = 0; i < 20_000; i++) await spend(keyOf(i)); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await spend(keyOf(i));
  return Number(process.hrtime.bigint() - started) / CALLS / 1_000;
}

async function bytesPerClient(): Promise<number> {
  const spend = await budgetHook();
  const settle = () => {
    global.gc?.();
    return process.memoryUsage().heapUsed;
  };
  const before = settle();
  for (let i = 0; i < CLIENTS; i++) await spend(`address 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return (settle() - before) / CLIENTS;
}

console.log(`load average before: ${loadAverage()}`);
if (!global.gc) console.log('(run with --expose-gc for the heap figure: pnpm runs it so)');
const cost = limits.cost(schema, document, {}, null);
console.log(`the storefront page's cost: ${cost}`);
const oneClient = await microsecondsPerCall(() => 'account u1');
console.log(
  `one client, the same page each time: ${oneClient.toFixed(2)} µs per request (${CALLS.toLocaleString()} calls)`,
);
const newClients = await microsecondsPerCall((call) => `address client-${call}`);
console.log(`a new client each request: ${newClients.toFixed(2)} µs per request`);
const perClient = await bytesPerClient();
console.log(
  `heap per client counted in the window: ${Math.round(perClient)} bytes (${CLIENTS.toLocaleString()} clients)`,
);
console.log(`load average after: ${loadAverage()}`);
process.exit(0);
