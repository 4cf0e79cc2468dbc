import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { healthRouter, reachedOnce } from './health.js';

const REUSE_MS = 200;

describe('healthRouter', () => {
  it('checks once for every /health/ready call within the reuse time, and again after it', async () => {
    let pings = 0;
    let reachable = true;
    const database = {
      name: 'database',
      check: async () => {
        pings += 1;
        await sleep(20);
        if (!reachable) throw new Error('unreachable');
      },
    };
    const app = express().use(healthRouter('test', [database], [], REUSE_MS));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((listening) => server.once('listening', listening));
    const ready = async () => {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health/ready`);
      return { status: response.status, body: await response.json() };
    };
    try {
      const burst = await Promise.all(Array.from({ length: 20 }, ready));
      expect(pings).toBe(1);
      expect(new Set(burst.map((answer) => JSON.stringify(answer)))).toEqual(
        new Set([
          JSON.stringify({
            status: 200,
            body: { status: 'up', service: 'test', checks: { database: { status: 'up' } } },
          }),
        ]),
      );

      reachable = false;
      await sleep(REUSE_MS * 2);
      const down = await ready();
      expect(down).toMatchObject({ status: 503, body: { status: 'down', checks: { database: { status: 'down' } } } });
      expect(pings).toBe(2);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe('reachedOnce', () => {
  it('fails until its check has passed once, then passes for good', async () => {
    let up = false;
    const once = reachedOnce(
      {
        name: 'rabbitmq',
        check: () => {
          if (!up) throw new Error('not connected');
        },
      },
      'rabbitmq-at-start',
    );
    expect(once.name).toBe('rabbitmq-at-start');
    await expect(Promise.resolve().then(once.check)).rejects.toThrow('not connected');
    up = true;
    await once.check();
    up = false;
    await once.check();
  });
});
