import { Router } from 'express';

/** A named dependency check; `check` resolves when the dependency is usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck({ name, check }: ReadinessCheck): Promise<[string, { status: string; error?: string }]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(check),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return [name, { status: 'up' }];
  } catch (error) {
    return [name, { status: 'down', error: error instanceof Error ? error.message : String(error) }];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health/live`: the process answers. `/health/ready`: every one of `checks` answers (503
 * otherwise). `reported` dependencies are checked and shown beside them without deciding readiness:
 * `degraded` when one of them is down.
 */
export function healthRouter(service: string, checks: ReadinessCheck[], reported: ReadinessCheck[] = []): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'up', service });
  });
  router.get('/health/ready', async (_req, res) => {
    const [required, others] = await Promise.all([
      Promise.all(checks.map(runCheck)),
      Promise.all(reported.map(runCheck)),
    ]);
    const up = (results: typeof required) => results.every(([, result]) => result.status === 'up');
    const status = !up(required) ? 'down' : up(others) ? 'up' : 'degraded';
    res
      .status(status === 'down' ? 503 : 200)
      .json({ status, service, checks: Object.fromEntries([...required, ...others]) });
  });
  return router;
}
