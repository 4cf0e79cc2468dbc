import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError, deadlineFromHeader, REQUEST_TIMEOUT_HEADER, timeLeft } from './request-deadline.js';
import { callSubgraph } from './subgraph-client.js';

describe('deadlineFromHeader', () => {
  it('reads whole milliseconds from the time the request arrived, and caps them at 10 minutes', () => {
    expect(deadlineFromHeader('1500', 1_000)).toBe(2_500);
    expect(deadlineFromHeader('999999999', 0)).toBe(600_000);
  });

  it('ignores a missing or unreadable value: no deadline rather than a refused request', () => {
    for (const value of [undefined, '', '-5', '1.5', '12ms', ' 100', '1e3', '9999999999']) {
      expect(deadlineFromHeader(value, 1_000)).toBeUndefined();
    }
  });
});

describe('timeLeft', () => {
  it('is the time until the deadline, at most the limit; the limit without a deadline', () => {
    expect(timeLeft(1_300, 5_000, 1_000)).toBe(300);
    expect(timeLeft(60_000, 5_000, 1_000)).toBe(5_000);
    expect(timeLeft(undefined, 5_000, 1_000)).toBe(5_000);
    expect(timeLeft(900, 5_000, 1_000)).toBe(-100);
  });
});

describe('callSubgraph and deadlines', () => {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { ok: true } }));
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('tells the callee it waits 5 s, or what is left of the deadline when that is sooner', async () => {
    await callSubgraph(url, '{ ok }', {});
    expect(received.at(-1)?.[REQUEST_TIMEOUT_HEADER]).toBe('5000');

    await callSubgraph(url, '{ ok }', {}, { deadline: Date.now() + 2_000 });
    const sent = Number(received.at(-1)?.[REQUEST_TIMEOUT_HEADER]);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(2_000);
  });

  it('does not call at all once the deadline has passed', async () => {
    const before = received.length;
    await expect(callSubgraph(url, '{ ok }', {}, { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    expect(received.length).toBe(before);
  });
});
