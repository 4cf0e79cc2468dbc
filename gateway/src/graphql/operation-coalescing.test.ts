import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@shop/platform/core';
import {
  createTestTokens,
  metricValue,
  silentLogger,
  TEST_JWT_SECRET,
  TEST_TOKEN_SETTINGS,
} from '@shop/platform/testing';
import { register } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { postJson, RecordingSubgraph, type SubgraphCall } from '../gateway.test-fixture.js';
import { plainGatewayConfig } from '../plain/plain-gateway.config.js';
import { createPlainGateway, type PlainGateway } from '../plain/plain-gateway.js';

// Whole-operation coalescing, seen from outside: a real gateway (plain mode, no broker needed) in
// front of a real HTTP subgraph that holds its answers until the test releases them, so requests
// overlap for certain. Subgraph-level deduplication is off, so every execution reaches the subgraph.
const SUPERGRAPH = fileURLToPath(new URL('../../../supergraph.graphql', import.meta.url));
const PRODUCT = 'query Product($id: ID!) { product(id: $id) { id name } }';
const LOGOUT = 'mutation Logout($token: String!) { logout(refreshToken: $token) }';
const tokens = createTestTokens();
const subgraph = new RecordingSubgraph();
let dir: string;
let supergraphPath: string;
let gateway: PlainGateway | undefined;
let release: () => void = () => {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coalescing-'));
  const url = await subgraph.start();
  supergraphPath = join(dir, 'supergraph.graphql');
  await writeFile(
    supergraphPath,
    (await readFile(SUPERGRAPH, 'utf8')).replace(/url: "http:\/\/[^"]+"/g, `url: "${url}"`),
  );
});
afterEach(async () => {
  release();
  await gateway?.close();
  gateway = undefined;
  subgraph.calls.length = 0;
});
afterAll(async () => {
  await subgraph.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}): Promise<string> {
  const config = parseConfig(plainGatewayConfig, {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    JWT_ISSUER: TEST_TOKEN_SETTINGS.JWT_ISSUER,
    JWT_AUDIENCE: TEST_TOKEN_SETTINGS.JWT_AUDIENCE,
    GATEWAY_SIGNING_SECRETS: 's'.repeat(32),
    SUPERGRAPH_PATH: supergraphPath,
    SUBGRAPH_DEDUPLICATION: 'false',
    ...env,
  });
  gateway = await createPlainGateway({ config, log: silentLogger });
  return `http://127.0.0.1:${await gateway.listen(0)}/graphql`;
}

/** Every subgraph call waits for `release()`, then gets `answer(call)`. */
function holdAnswers(answer: (call: SubgraphCall) => unknown): void {
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  subgraph.answer = async (call) => {
    await released;
    return answer(call);
  };
}

const productAnswer = (call: SubgraphCall) => ({
  data: { product: { id: call.body.variables?.id, name: `seen by ${call.headers.authorization ?? 'anyone'}` } },
});

const coalesced = async () => metricValue(await register.metrics(), 'gateway_coalesced_operations_total');

const bearer = async (id: string) => ({ authorization: `Bearer ${await tokens.sign({ id, role: 'CUSTOMER' })}` });

/** A gateway whose subgraph holds its answers, a signed-in caller, and the count of coalesced queries so far. */
async function holdingGateway(answer: (call: SubgraphCall) => unknown = productAnswer) {
  const url = await start();
  const caller = await bearer('u1');
  holdAnswers(answer);
  return { url, caller, before: await coalesced() };
}

describe('operation coalescing', () => {
  it('executes two concurrent identical queries of one caller once, and answers both', async () => {
    const { url, caller, before } = await holdingGateway();
    const first = postJson(url, { query: PRODUCT, variables: { id: 'p1' } }, caller);
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(1), { timeout: 5_000 });
    const second = postJson(url, { query: PRODUCT, variables: { id: 'p1' } }, caller);
    // The sentinel: the second request is waiting for the first one's answer.
    await vi.waitFor(async () => expect(await coalesced()).toBe(before + 1), { timeout: 5_000 });
    release();
    const answers = await Promise.all([first, second]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers[0]?.body).toEqual({ data: { product: { id: 'p1', name: `seen by ${caller.authorization}` } } });
    expect(answers[1]?.body).toEqual(answers[0]?.body);
    expect(subgraph.calls).toHaveLength(1);
  });

  it('writes the JSON of an answer shared by several requests once', async () => {
    const { url, caller, before } = await holdingGateway();
    const request = { query: PRODUCT, variables: { id: 'p1' } };
    const expected = JSON.stringify({ data: { product: { id: 'p1', name: `seen by ${caller.authorization}` } } });
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const leader = postJson(url, request, caller);
      await vi.waitFor(() => expect(subgraph.calls).toHaveLength(1), { timeout: 5_000 });
      const followers = [1, 2, 3, 4].map(() => postJson(url, request, caller));
      await vi.waitFor(async () => expect(await coalesced()).toBe(before + 4), { timeout: 5_000 });
      release();
      const answers = await Promise.all([leader, ...followers]);
      expect(answers.map((answer) => answer.body)).toEqual(Array(5).fill(JSON.parse(expected)));
      // That JSON was written twice in this process: by the subgraph (same shape) and once by the gateway.
      const written = stringify.mock.results.filter((result) => result.value === expected);
      expect(written).toHaveLength(subgraph.calls.length + 1);
    } finally {
      stringify.mockRestore();
    }
  });

  it("stops a follower waiting at its own deadline, not the leader's", async () => {
    const { url, caller, before } = await holdingGateway();
    const request = { query: PRODUCT, variables: { id: 'p1' } };
    const leader = postJson(url, request, caller);
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(1), { timeout: 5_000 });
    // The same caller asks again, waiting at most 300 ms: it joins the leader, then gives up alone.
    const follower = await postJson(url, request, { ...caller, 'x-request-timeout-ms': '300' });
    expect(await coalesced()).toBe(before + 1);
    expect(follower.body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }),
    ]);
    release();
    expect((await leader).body).toEqual({ data: { product: { id: 'p1', name: `seen by ${caller.authorization}` } } });
    expect(subgraph.calls).toHaveLength(1);
  });

  it('never shares between callers: each gets the answer made for it', async () => {
    const url = await start();
    const [alice, bob] = await Promise.all([bearer('alice'), bearer('bob')]);
    holdAnswers(productAnswer);
    const answers = Promise.all([
      postJson(url, { query: PRODUCT, variables: { id: 'p1' } }, alice),
      postJson(url, { query: PRODUCT, variables: { id: 'p1' } }, bob),
      postJson(url, { query: PRODUCT, variables: { id: 'p1' } }),
    ]);
    // All three are executing at once: none waited for another.
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(3), { timeout: 5_000 });
    release();
    const names = (await answers).map((answer) => answer.body.data.product.name);
    expect(names).toEqual([`seen by ${alice.authorization}`, `seen by ${bob.authorization}`, 'seen by anyone']);
  });

  it('never shares between different variables', async () => {
    const url = await start();
    const caller = await bearer('u1');
    holdAnswers(productAnswer);
    const answers = Promise.all(['p1', 'p2'].map((id) => postJson(url, { query: PRODUCT, variables: { id } }, caller)));
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(2), { timeout: 5_000 });
    release();
    expect((await answers).map((answer) => answer.body.data.product.id)).toEqual(['p1', 'p2']);
  });

  it('never shares a mutation: identical ones each execute', async () => {
    const { url, caller, before } = await holdingGateway(() => ({ data: { logout: true } }));
    const request = { query: LOGOUT, variables: { token: 'r1' } };
    const answers = Promise.all([postJson(url, request, caller), postJson(url, request, caller)]);
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(2), { timeout: 5_000 });
    release();
    expect((await answers).map((answer) => answer.body)).toEqual([
      { data: { logout: true } },
      { data: { logout: true } },
    ]);
    expect(await coalesced()).toBe(before);
  });

  it('shares an error only with the requests that waited for it; the next identical query executes anew', async () => {
    const { url, caller, before } = await holdingGateway(() => ({
      errors: [{ message: 'product store unavailable', extensions: { code: 'UNAVAILABLE' } }],
    }));
    const request = { query: PRODUCT, variables: { id: 'p1' } };
    const first = postJson(url, request, caller);
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(1), { timeout: 5_000 });
    const second = postJson(url, request, caller);
    await vi.waitFor(async () => expect(await coalesced()).toBe(before + 1), { timeout: 5_000 });
    release();
    const failed = await Promise.all([first, second]);
    for (const answer of failed) expect(answer.body.errors?.length).toBeGreaterThan(0);
    expect(failed[0]?.body.data).toEqual(failed[1]?.body.data);

    subgraph.answer = productAnswer;
    const later = await postJson(url, request, caller);
    expect(later.body).toEqual({ data: { product: { id: 'p1', name: `seen by ${caller.authorization}` } } });
    expect(subgraph.calls).toHaveLength(2);
  });

  it('keeps nothing once a query has answered: the same query again executes again', async () => {
    const url = await start();
    subgraph.answer = productAnswer;
    const request = { query: PRODUCT, variables: { id: 'p1' } };
    await postJson(url, request);
    await postJson(url, request);
    expect(subgraph.calls).toHaveLength(2);
  });

  it('is off with OPERATION_COALESCING=false: identical concurrent queries each execute', async () => {
    const url = await start({ OPERATION_COALESCING: 'false' });
    const caller = await bearer('u1');
    holdAnswers(productAnswer);
    const request = { query: PRODUCT, variables: { id: 'p1' } };
    const answers = Promise.all([postJson(url, request, caller), postJson(url, request, caller)]);
    await vi.waitFor(() => expect(subgraph.calls).toHaveLength(2), { timeout: 5_000 });
    release();
    expect((await answers).map((answer) => answer.status)).toEqual([200, 200]);
  });
});
