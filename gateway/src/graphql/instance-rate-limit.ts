import cluster from 'node:cluster';
import { HeaderMap } from '@apollo/server';
import { AppError } from '@shop/platform/core';
import { type RateLimiterAbstract, RateLimiterCluster, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * A count of this gateway instance (rate-limiter-flexible): a worker of its cluster
 * (`workers` > 1, GATEWAY_WORKERS) asks its primary, which keeps the count for all of them
 * (startGatewayCluster), rather than allowing the limit once per worker.
 */
export function instanceRateLimiter(
  workers: number,
  keyPrefix: string,
  points: number,
  durationSeconds: number,
): RateLimiterAbstract {
  // A worker of another cluster manager (pm2, say) has no primary of ours to keep the count.
  return cluster.isWorker && workers > 1
    ? new RateLimiterCluster({ keyPrefix, points, duration: durationSeconds, timeoutMs: 3_000 })
    : new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
}

/** What a request spent: the points left in its window, when the window ends, and its refusal if any. */
export interface Spent {
  left: number;
  resetSeconds: number;
  refusal: AppError | null;
}

/**
 * Spends `points` of `key`'s count; when they are not left, spends nothing and answers the refusal to
 * throw: TOO_MANY_REQUESTS with `message`, HTTP 429 with Retry-After (REST answers it as a problem).
 */
export async function spend(
  limiter: RateLimiterAbstract,
  key: string,
  points: number,
  message: string,
): Promise<Spent> {
  try {
    const spent = await limiter.consume(key, points);
    return { left: spent.remainingPoints, resetSeconds: wholeSeconds(spent.msBeforeNext), refusal: null };
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    // A refused request spends nothing: a costly one does not shut out cheap ones that still fit.
    await limiter.reward(key, points);
    const retryAfter = wholeSeconds(rejection.msBeforeNext);
    const refusal = new AppError('TOO_MANY_REQUESTS', message, {
      retryAfter,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
    });
    const left = Math.max(0, limiter.points - (rejection.consumedPoints - points));
    return { left, resetSeconds: retryAfter, refusal };
  }
}

const wholeSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
