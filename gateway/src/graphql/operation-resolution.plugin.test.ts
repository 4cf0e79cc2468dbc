import { describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph, postJson } from '../gateway.test-fixture.js';

// Found by the GraphQL fuzzer: both documents below were answered with HTTP 500.
const started = gatewayOverRecordingSubgraph();

const post = (body: unknown) => postJson(`${started.base}/graphql`, body);

describe('a document whose operation cannot be chosen', () => {
  it('is a 400 BAD_REQUEST with several operations and no operationName', async () => {
    const { status, body } = await post({ query: 'query A { __typename } query B { __typename }' });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'Must provide operation name if query contains multiple operations.',
        extensions: { code: 'BAD_REQUEST' },
      }),
    ]);
  });

  it('is a 400 BAD_REQUEST with an operationName it does not contain', async () => {
    const { status, body } = await post({ query: 'query A { __typename }', operationName: 'B' });
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({
      message: 'Unknown operation named "B".',
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('still runs the named one of several operations', async () => {
    const { status, body } = await post({
      query: 'query A { __typename } query B { __typename }',
      operationName: 'B',
    });
    expect([status, body]).toEqual([200, { data: { __typename: 'Query' } }]);
  });
});
