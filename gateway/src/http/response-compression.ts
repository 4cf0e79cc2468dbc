import { constants } from 'node:zlib';
import compression from 'compression';
import type { RequestHandler } from 'express';

/**
 * Compresses answers for clients that accept it (`Accept-Encoding`: br, gzip or deflate), as Apollo
 * Router and Hive Gateway do: GraphQL and REST answers are JSON that shrinks several times, which
 * is what a mobile client on a slow network waits for. Answers under 1 KiB go as they are (the
 * headers would weigh as much as the saving). Brotli at quality 2, not the middleware's 4: on a
 * catalogue page it costs what gzip costs, where 4 cost half as much again for 5 % fewer bytes
 * (BENCHMARKS.md, response compression).
 *
 * BREACH: a compressed answer's size can leak a secret it carries when an attacker can also put
 * chosen text into the same answer and watch its size. The answers that carry secrets (tokens of
 * `login`, `register`, `refreshToken`) echo nothing an attacker chooses but the e-mail address,
 * and reading their size needs a position on the victim's connection; `RESPONSE_COMPRESSION=false`
 * turns compression off where that risk is not accepted.
 *
 * Request bodies sent with `Content-Encoding: gzip`, `deflate` or `br` are inflated by express.json,
 * and BODY_LIMIT_BYTES bounds the inflated body, not the compressed one.
 */
export function responseCompression(): RequestHandler {
  // Subscriptions over SSE go out as they are, event by event: graphql-sse marks its streams
  // `Content-Encoding: none`, which this middleware leaves alone (sse-subscriptions.test.ts).
  return compression({ threshold: 1024, brotli: { params: { [constants.BROTLI_PARAM_QUALITY]: 2 } } });
}
