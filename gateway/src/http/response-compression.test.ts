// Answers compressed for clients that accept it; compressed request bodies inflated within the
// body limit. Raw bytes are read with node:http (fetch would inflate them out of sight).
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gatewayOverRecordingSubgraph, RecordingSubgraph, startGateway } from '../gateway.test-fixture.js';

const started = gatewayOverRecordingSubgraph();
const { subgraph } = started;

/** A catalogue page of 30 products: about 8 KiB of JSON. */
const products = Array.from({ length: 30 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name: `Product number ${i}`,
  description: 'A product description long enough to make the page worth compressing',
  price: '9.99',
  category: 'books',
  inventory: 5,
  images: [],
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
}));
const PAGE = { data: { products: { totalCount: 30, edges: products.map((node) => ({ node })) } } };
const QUERY = '{ products(first: 30) { totalCount edges { node { id name description } } } }';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(base: string, path: string, options: { headers?: Record<string, string>; body?: Buffer } = {}) {
  return new Promise<Raw>((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: options.body ? 'POST' : 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const postQuery = (base: string, headers: Record<string, string>, query = QUERY) =>
  send(base, '/graphql', {
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify({ query })),
  });

describe('response compression', () => {
  it('sends a large answer in brotli or gzip, as the client accepts, and as it is to a client that accepts neither', async () => {
    subgraph.answer = () => PAGE;
    const plain = await postQuery(started.base, {});
    const br = await postQuery(started.base, { 'accept-encoding': 'br' });
    const gzip = await postQuery(started.base, { 'accept-encoding': 'gzip, deflate' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const expected = JSON.parse(plain.body.toString());
    expect(expected.data.products.edges).toHaveLength(30);
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(expected);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.body).toString())).toEqual(expected);
    expect(br.body.length).toBeLessThan(plain.body.length / 4);
    // Caches between gateway and client keep the two apart.
    expect(br.headers.vary).toMatch(/accept-encoding/i);
  });

  it('compresses the REST routes too, and leaves a small answer as it is', async () => {
    subgraph.answer = () => PAGE;
    const rest = await send(started.base, '/api/products?limit=30', { headers: { 'accept-encoding': 'gzip' } });
    expect(rest.status).toBe(200);
    expect(rest.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(rest.body).toString()).products).toHaveLength(30);
    subgraph.answer = () => ({ data: { product: null } });
    const small = await postQuery(started.base, { 'accept-encoding': 'gzip' }, '{ product(id: "p1") { id } }');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString())).toEqual({ data: { product: null } });
  });

  it('reads a gzip request body, refuses one that inflates past the body limit as too large, and names an encoding it does not read', async () => {
    subgraph.answer = () => ({ data: { product: null } });
    const before = subgraph.calls.length;
    const query = Buffer.from(JSON.stringify({ query: '{ product(id: "p1") { id } }' }));
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const read = await send(started.base, '/graphql', { headers, body: gzipSync(query) });
    expect(JSON.parse(read.body.toString())).toEqual({ data: { product: null } });
    expect(subgraph.calls.length).toBe(before + 1);
    // 10 MB of JSON (the limit is 1 MiB) in about 10 KB of gzip.
    const bomb = gzipSync(Buffer.from(`{"query":"{ product(id: \\"p1\\") { id } }","x":"${' '.repeat(10_000_000)}"}`));
    expect(bomb.length).toBeLessThan(20_000);
    const refused = await send(started.base, '/graphql', { headers, body: bomb });
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body.toString()).errors[0]).toMatchObject({ message: 'Request body too large' });
    // An encoding it does not read is named as such, on /graphql and the REST routes alike.
    const compress = { ...headers, 'content-encoding': 'compress' };
    const unread = await send(started.base, '/graphql', { headers: compress, body: query });
    expect(unread.status).toBe(415);
    expect(JSON.parse(unread.body.toString()).errors[0].message).toMatch(/^Unsupported Content-Encoding/);
    const rest = await send(started.base, '/api/users/login', { headers: compress, body: Buffer.from('{}') });
    expect(rest.status).toBe(415);
    expect(JSON.parse(rest.body.toString())).toMatchObject({
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(/^Unsupported Content-Encoding/),
    });
    expect(subgraph.calls.length).toBe(before + 1);
  });

  it('is off with RESPONSE_COMPRESSION=false', async () => {
    const own = new RecordingSubgraph();
    own.answer = () => PAGE;
    const off = await startGateway(await own.start(), { RESPONSE_COMPRESSION: 'false' });
    try {
      const answer = await postQuery(off.base, { 'accept-encoding': 'br, gzip' });
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(answer.body.toString()).data.products.edges).toHaveLength(30);
    } finally {
      await off.gateway.close();
      await own.close();
    }
  });
});
