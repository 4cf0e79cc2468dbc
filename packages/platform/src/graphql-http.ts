import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';

/**
 * An ApolloServer as an Express 5 handler, as @as-integrations/express5 mounts one, with two
 * differences measured under load (BENCHMARKS.md, "Writing answers"): a POST answer is written
 * without an ETag (Express hashes every body for one, and no HTTP cache reuses a POST answer), and
 * an answer identical to the previous one written reuses its bytes (coalesced queries share one
 * JSON string). GET answers still go through `res.send`, with their ETag and 304s.
 */
export function graphqlHttpHandler<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  context: (http: { req: Request; res: Response }) => Promise<Context>,
): RequestHandler {
  let last: { json: string; bytes: Buffer } | undefined;
  return async (req, res) => {
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: httpGraphQLRequest(req),
      context: () => context({ req, res }),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'chunked') {
      for await (const chunk of response.body.asyncIterator) {
        res.write(chunk);
        // Through the compression middleware, each part leaves when written.
        (res as Response & { flush?: () => void }).flush?.();
      }
      res.end();
      return;
    }
    const json = response.body.string;
    if (req.method !== 'POST') {
      res.send(json);
      return;
    }
    if (last?.json !== json) last = { json, bytes: Buffer.from(json) };
    res.setHeader('content-length', last.bytes.length);
    res.end(last.bytes);
  };
}

function httpGraphQLRequest(req: Request): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const query = req.url.indexOf('?');
  return {
    method: req.method.toUpperCase(),
    headers,
    search: query < 0 ? '' : req.url.slice(query),
    body: req.body,
  };
}
