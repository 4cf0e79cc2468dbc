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

/**
 * Spends `points` of `key`'s count; when they are not left, spends nothing and answers the refusal to throw:
 * TOO_MANY_REQUESTS with `message`, HTTP 429 with Retry-After (REST answers it as a problem).
 */
export async function spendOrRefusal(
  limiter: RateLimiterAbstract,
  key: string,
  points: number,
  message: string,
): Promise<AppError | null> {
  try {
    await limiter.consume(key, points);
    return null;
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    // A refused request spends nothing: a costly one does not shut out cheap ones that still fit.
    await limiter.reward(key, points);
    const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    return new AppError('TOO_MANY_REQUESTS', message, {
      retryAfter,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
    });
  }
}
