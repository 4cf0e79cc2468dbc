import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlHttpHandler } from './graphql-http.js';

// A real ApolloServer behind the handler, on a real port: what clients see of the answers it writes.
const apollo = new ApolloServer({
  typeDefs: 'type Query { echo(text: String!): String! }',
  resolvers: { Query: { echo: (_: unknown, { text }: { text: string }) => text } },
});
let server: Server;
let url: string;

beforeAll(async () => {
  await apollo.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    graphqlHttpHandler(apollo, async () => ({})),
  );
  server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.close();
  await apollo.stop();
});

const post = (text: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query ($text: String!) { echo(text: $text) }', variables: { text } }),
  });

describe('graphqlHttpHandler', () => {
  it('writes a POST answer whole, with its length and no ETag', async () => {
    const response = await post('héllo');
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(response.headers.get('etag')).toBeNull();
    expect(JSON.parse(body)).toEqual({ data: { echo: 'héllo' } });
  });

  it('gives each answer its own bytes, whichever was written before', async () => {
    for (const text of ['a', 'a', 'b', 'a', 'bb', 'b']) {
      expect(await (await post(text)).json()).toEqual({ data: { echo: text } });
    }
  });

  it('answers GET as Express does: an ETag, and 304 when the client has that one', async () => {
    const get = (headers: Record<string, string> = {}) =>
      fetch(`${url}?query=${encodeURIComponent('{ echo(text: "x") }')}`, {
        headers: { 'apollo-require-preflight': 'true', ...headers },
      });
    const first = await get();
    expect(await first.json()).toEqual({ data: { echo: 'x' } });
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    // (fetch adds `cache-control: no-cache`, which bypasses validation, to a conditional request without one.)
    expect((await get({ 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' })).status).toBe(304);
  });

  it("keeps Apollo's refusals: a method it does not serve, a body that is not GraphQL", async () => {
    const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    const empty = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(empty.status).toBe(400);
    const { errors } = (await empty.json()) as { errors: { message: string }[] };
    expect(errors[0]?.message).toMatch(/POST body missing/);
  });
});
