import { silentLogger } from '@shop/platform/testing';
import { parse } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph, postJson } from '../gateway.test-fixture.js';
import { ForwardingDataSource } from './forwarding-data-source.js';

// Found by the GraphQL fuzzer: a Decimal the products subgraph refuses (the gateway sees `Decimal`
// as an opaque scalar) came back as INTERNAL_SERVER_ERROR, and the REST shim answered 500.
const started = gatewayOverRecordingSubgraph();
const { subgraph } = started;
afterEach(() => {
  subgraph.status = 200;
});

const CREATE =
  'mutation ($price: Decimal!) { createProduct(input: { name: "n", category: "c", price: $price }) { id } }';
const post = (path: string, body: unknown) => postJson(`${started.base}${path}`, body);

describe('a subgraph refusing the caller input with HTTP 400', () => {
  it('relays a refused variable as BAD_USER_INPUT with its message and fields', async () => {
    subgraph.status = 400;
    subgraph.answer = () => ({
      errors: [
        {
          message: 'Variable "$price" got invalid value "1e20"; Invalid amount',
          extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'price', message: 'too big' }] },
        },
      ],
    });
    const { body } = await post('/graphql', { query: CREATE, variables: { price: '1e20' } });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'Variable "$price" got invalid value "1e20"; Invalid amount',
        extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'price', message: 'too big' }] },
      }),
    ]);
  });

  it('relays a literal refused by a scalar, and the REST shim answers 400', async () => {
    subgraph.status = 400;
    subgraph.answer = () => ({
      errors: [
        { message: 'Invalid amount "7744522274296592"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', fields: [] } },
      ],
    });
    const { body } = await post('/graphql', { query: CREATE, variables: { price: '7744522274296592' } });
    expect(body.errors[0]).toMatchObject({
      message: 'Invalid amount "7744522274296592"',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const rest = await post('/api/products', { name: 'n', category: 'c', price: 7744522274296592 });
    expect(rest).toMatchObject({ status: 400, body: { code: 'BAD_USER_INPUT' } });
  });

  it('keeps any other 400 internal, without the subgraph address or its answer', async () => {
    subgraph.status = 400;
    subgraph.answer = () => ({
      errors: [
        { message: 'Cannot query field "secret" on type "_Entity"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      ],
    });
    const { body } = await post('/graphql', { query: CREATE, variables: { price: '1.00' } });
    expect(body.errors[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(body)).not.toMatch(/secret|_Entity|127\.0\.0\.1/);
  });
});

describe("an operation's deadline", () => {
  it('sends no fetch once it has passed: the caller is told to retry and the subgraph never hears of it', async () => {
    const source = new ForwardingDataSource({ url: started.subgraphUrl }, 'products');
    const before = subgraph.calls.length;
    const context = { requestId: 'r1', log: silentLogger, authorization: undefined, clientIp: undefined };
    const fetchWith = (deadline: number) =>
      source.process({
        kind: 'incoming operation',
        request: {
          query: '{ product(id: "p1") { id } }',
          http: { method: 'POST', url: started.subgraphUrl, headers: new Headers() },
        },
        context: { ...context, deadline },
        incomingRequestContext: {} as never,
        document: parse('{ product(id: "p1") { id } }'),
      } as never);
    await expect(fetchWith(Date.now() - 1)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(subgraph.calls.length).toBe(before);
    subgraph.answer = () => ({ data: { product: null } });
    await expect(fetchWith(Date.now() + 5_000)).resolves.toMatchObject({ data: { product: null } });
    expect(subgraph.calls.length).toBe(before + 1);
  });
});
