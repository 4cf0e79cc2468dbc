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

/** `/health/live`: the process answers. `/health/ready`: every dependency answers (503 otherwise). */
export function healthRouter(service: string, checks: ReadinessCheck[]): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'up', service });
  });
  router.get('/health/ready', async (_req, res) => {
    const results = Object.fromEntries(await Promise.all(checks.map(runCheck)));
    const ready = Object.values(results).every((result) => result.status === 'up');
    res.status(ready ? 200 : 503).json({ status: ready ? 'up' : 'down', service, checks: results });
  });
  return router;
}
