// GraphQL fuzzing of the gateway: a few hundred requests generated from the served schema
// (graphql-fuzz.generator.ts) as anonymous, customer, admin and a forged token. No request may get
// a 5xx or an internal error, every error carries a contract code, nothing internal leaks, and the
// stack is still ready afterwards. The seed is pinned; FUZZ_SEED=<seed> replays a run, FUZZ_SEED=random explores.
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { beforeAll, expect, it } from 'vitest';
import { createFuzzFixtures, type FuzzFixtures } from './fuzz-fixtures.js';
import { fuzzSeed } from './fuzz-seed.js';
import { type FuzzRequest, GraphqlFuzzer } from './graphql-fuzz.generator.js';
import { GATEWAY, graphqlOk, PORTS } from './stack.js';

const REQUESTS = 400;
const CONCURRENCY = 4;
const seed = fuzzSeed('FUZZ_SEED', 20261202);

/** What a client must never see: stacks, files, driver and database messages, internal addresses. */
const LEAKS = [
  /\bat \S+ \(/,
  /\.[cm]?[jt]s:\d+/,
  /node_modules/,
  /PrismaClient|Invalid `prisma\./,
  /Mongo(Server|Network|ose)Error|mongodb:\/\//,
  /E11000|duplicate key/,
  /invalid byte sequence|violates .* constraint|syntax error at or near/,
  /ECONNREFUSED|ECONNRESET|socket hang up/,
  /serviceName|subgraph/i,
  /127\.0\.0\.1|localhost/,
  // host:port, not a JSON "column":4601
  new RegExp(`\\w:(${Object.values(PORTS).join('|')})\\b`),
];

let fixtures: FuzzFixtures;
let fuzzer: GraphqlFuzzer;

beforeAll(async () => {
  fixtures = await createFuzzFixtures('graphql-fuzz');
  const introspection = await graphqlOk<IntrospectionQuery>(getIntrospectionQuery());
  fuzzer = new GraphqlFuzzer(buildClientSchema(introspection), seed, [
    fixtures.productId,
    fixtures.orderId,
    fixtures.paymentId,
    fixtures.customerId,
  ]);
});

interface Outcome {
  status: number;
  text: string;
}

async function send(request: FuzzRequest, authorization: string | undefined): Promise<Outcome> {
  const auth: Record<string, string> = authorization ? { authorization } : {};
  let response: Response;
  if (request.method === 'GET') {
    // Without a preflight-forcing header this is a "simple" request, refused by CSRF prevention.
    const preflight: Record<string, string> = request.contentType ? { 'apollo-require-preflight': 'true' } : {};
    const query = new URLSearchParams({ query: String((request.body as { query?: unknown }).query) });
    response = await fetch(`${GATEWAY}/graphql?${query}`, { headers: { ...auth, ...preflight } });
  } else {
    response = await fetch(`${GATEWAY}/graphql`, {
      method: 'POST',
      headers: { ...auth, 'content-type': request.contentType ?? 'application/json' },
      body: request.raw ?? JSON.stringify(request.body),
    });
  }
  return { status: response.status, text: await response.text() };
}

/** Why this answer is wrong, or undefined when it is fine. */
function problem({ status, text }: Outcome): string | undefined {
  if (status >= 500) return `HTTP ${status}`;
  let json: { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  try {
    json = JSON.parse(text);
  } catch {
    return 'the answer is not JSON';
  }
  for (const error of json.errors ?? []) {
    const code = error.extensions?.code;
    if (typeof code !== 'string') return 'an error without extensions.code';
    if (code === 'INTERNAL_SERVER_ERROR') return 'an internal error';
  }
  // The gateway's address is the shop's public one, which emails link to (a notification's body
  // may say where to reset a password): not an internal address.
  const shown = text.replaceAll(GATEWAY, 'https://shop.example');
  const leak = LEAKS.find((pattern) => pattern.test(shown));
  return leak ? `leaks ${leak}` : undefined;
}

it(`answers ${REQUESTS} generated and malformed requests without a 5xx, an internal error or a leak`, {
  timeout: 240_000,
}, async () => {
  const callers: [string, string | undefined][] = [
    ['anonymous', undefined],
    ['customer', `Bearer ${fixtures.customerToken}`],
    ['admin', `Bearer ${fixtures.adminToken}`],
    ['forged token', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6IkFETUlOIn0.'],
  ];
  // Generated up front, in order, so that the seed alone decides every request and caller.
  const cases = Array.from({ length: REQUESTS }, (_, index) => ({
    index,
    request: fuzzer.next(),
    caller: fuzzer.pick(callers),
  }));
  const failures: string[] = [];
  const kinds = new Set<string>();
  for (let start = 0; start < cases.length; start += CONCURRENCY) {
    await Promise.all(
      cases.slice(start, start + CONCURRENCY).map(async ({ index, request, caller }) => {
        kinds.add(request.kind);
        const outcome = await send(request, caller[1]);
        const wrong = problem(outcome);
        if (!wrong) return;
        const sent = (request.raw ?? JSON.stringify(request.body) ?? '').slice(0, 600);
        failures.push(
          `#${index} ${request.kind} as ${caller[0]}: ${wrong}\n  sent: ${sent}\n  got ${outcome.status}: ${outcome.text.slice(0, 600)}`,
        );
      }),
    );
  }
  expect(failures, `seed ${seed}: ${failures.length} bad answers\n${failures.slice(0, 10).join('\n')}`).toEqual([]);
  // The generator reached both the schema's operations and the abuse cases.
  expect(kinds.size).toBeGreaterThan(20);
  // Every subgraph still up, not only the gateway serving.
  const ready = await fetch(`${GATEWAY}/health/ready`);
  expect(ready.status).toBe(200);
  expect(((await ready.json()) as { status: string }).status).toBe('up');
});
