import { createHash } from 'node:crypto';
import { rawExchange } from '@shop/platform/testing';
import { describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph, postJson } from '../gateway.test-fixture.js';

// Found by the GraphQL fuzzer: every persisted-query answer was masked as INTERNAL_SERVER_ERROR,
// so an APQ client never learnt to send the full query.
const started = gatewayOverRecordingSubgraph();

const post = (body: unknown) => postJson(`${started.base}/graphql`, body);
const persisted = (sha256Hash: string, version = 1) => ({ persistedQuery: { version, sha256Hash } });

describe('automatic persisted queries', () => {
  it('asks for an unknown query with PERSISTED_QUERY_NOT_FOUND, then serves it by hash', async () => {
    const query = `{ __typename }`;
    const hash = createHash('sha256').update(query).digest('hex');
    const unknown = await post({ extensions: persisted(hash) });
    expect(unknown.body.errors[0].extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_FOUND' });
    expect((await post({ query, extensions: persisted(hash) })).body).toEqual({ data: { __typename: 'Query' } });
    expect((await post({ extensions: persisted(hash) })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a hash that does not match the query, or another protocol version, as BAD_REQUEST', async () => {
    const mismatch = await post({ query: '{ __typename }', extensions: persisted('abc') });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0]).toMatchObject({
      message: 'provided sha does not match query',
      extensions: { code: 'BAD_REQUEST' },
    });
    const version = await post({ query: '{ __typename }', extensions: persisted('abc', 2) });
    expect(version.status).toBe(400);
    expect(version.body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('reads a target that looks like an authority below /graphql (//a:b) as a path, not as a server error', async () => {
    const port = Number(new URL(started.base).port);
    const exchange = (target: string) =>
      rawExchange(
        port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nApollo-Require-Preflight: 1\r\nConnection: close\r\n\r\n`,
      );
    expect(await exchange('/graphql//a:b?query=%7B__typename%7D')).toMatch(
      /^HTTP\/1\.1 200 [\s\S]*"__typename":"Query"/,
    );
    expect(await exchange('/graphql//a:b')).toMatch(/^HTTP\/1\.1 400 /);
  });
});
