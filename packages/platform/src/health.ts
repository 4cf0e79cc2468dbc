import { Router } from 'express';
import { withinLimit } from './time-limit.js';

/** A named dependency check; `check` resolves when the dependency is usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `check` under `name` until it has passed once, then up for good: a dependency the process must
 * have reached before it serves (so a rollout with a bad broker configuration stops at its first
 * pod), but may lose for a while afterwards without leaving the load balancer.
 */
export function reachedOnce(check: ReadinessCheck, name: string): ReadinessCheck {
  let reached = false;
  return {
    name,
    check: async () => {
      if (reached) return;
      await check.check();
      reached = true;
    },
  };
}

async function runCheck({ name, check }: ReadinessCheck): Promise<[string, { status: string; error?: string }]> {
  try {
    await withinLimit(Promise.resolve().then(check), CHECK_TIMEOUT_MS);
    return [name, { status: 'up' }];
  } catch (error) {
    return [name, { status: 'down', error: error instanceof Error ? error.message : String(error) }];
  }
}

/**
 * An answer kept for `ms` once it is given, and shared by whoever asks meanwhile: the checks behind
 * a public `/health/ready` then run at most once per `ms`, however often it is called.
 */
function sharedFor<T>(ms: number, evaluate: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | undefined;
  return () => {
    answer ??= evaluate().finally(() => setTimeout(() => (answer = undefined), ms).unref());
    return answer;
  };
}

/** How long one readiness answer serves: well under any probe's period. */
const READINESS_REUSE_MS = 1_000;

/**
 * `/health/live`: the process answers. `/health/ready`: every one of `checks` answers (503
 * otherwise). `reported` dependencies are checked and shown beside them without deciding readiness:
 * `degraded` when one of them is down. Its answer serves every call for `reuseMs`, so a flood of
 * calls (it needs no token) costs no more database pings or subgraph calls than one probe a second.
 */
export function healthRouter(
  service: string,
  checks: ReadinessCheck[],
  reported: ReadinessCheck[] = [],
  reuseMs = READINESS_REUSE_MS,
): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'up', service });
  });
  const readiness = sharedFor(reuseMs, async () => {
    const [required, others] = await Promise.all([
      Promise.all(checks.map(runCheck)),
      Promise.all(reported.map(runCheck)),
    ]);
    const up = (results: typeof required) => results.every(([, result]) => result.status === 'up');
    const status = !up(required) ? 'down' : up(others) ? 'up' : 'degraded';
    return { status, service, checks: Object.fromEntries([...required, ...others]) };
  });
  router.get('/health/ready', async (_req, res) => {
    const answer = await readiness();
    res.status(answer.status === 'down' ? 503 : 200).json(answer);
  });
  return router;
}
