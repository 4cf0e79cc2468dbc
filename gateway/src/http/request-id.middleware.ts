import { randomUUID } from 'node:crypto';
import type { Logger } from '@shop/platform/core';
import type { RequestHandler } from 'express';

/** Anything else (too long, odd characters) could poison logs or headers, so it is replaced. */
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Adopts a safe incoming `x-request-id` or makes one, echoes it, and gives the request its own logger. */
export function requestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.header('x-request-id');
    const id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', id);
    res.locals.requestId = id;
    res.locals.log = log.child({ requestId: id });
    const { method, path } = req; // read now: routers rewrite the path while they run
    const started = performance.now();
    res.on('finish', () => {
      const durationMs = Math.round(performance.now() - started);
      res.locals.log.info({ method, path, status: res.statusCode, durationMs }, 'request');
    });
    next();
  };
}
