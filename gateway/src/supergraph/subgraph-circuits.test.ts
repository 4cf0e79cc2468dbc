import { parseConfig } from '@shop/platform/core';
import { metricValue, recordingLogger, silentLogger } from '@shop/platform/testing';
import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { gatewayConfig } from '../config.js';
import { gatewayOverRecordingSubgraph, type Json, postJson } from '../gateway.test-fixture.js';
import { circuitSettingsFrom, SubgraphCircuits } from './subgraph-circuits.js';

// Distinct ids: identical queries of one caller would coalesce into one execution (one call).
const product = (i: number) => ({ query: `{ product(id: "p${i}") { id } }` });
const codeOf = (answer: { body: Json }) => answer.body.errors?.[0]?.extensions?.code;

describe("a subgraph's circuit, through the gateway", () => {
  const { log, lines } = recordingLogger<{ level: number; msg: string; requestId?: string }>('debug');
  const stack = gatewayOverRecordingSubgraph({ SUBGRAPH_RETRY: 'false' }, log);

  it('opens once more than half of 20 calls failed (a proxy 503), then refuses calls with SERVICE_UNAVAILABLE and sends none', async () => {
    stack.subgraph.status = 503;
    for (let i = 0; i < 20; i++) expect(codeOf(await postJson(`${stack.base}/graphql`, product(i)))).toBeDefined();
    expect(stack.subgraph.calls).toHaveLength(20);
    stack.subgraph.status = 200;
    stack.subgraph.answer = () => ({ data: { product: { id: 'p1' } } });
    const refused = await postJson(`${stack.base}/graphql`, product(99));
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
    expect(refused.body.errors[0].extensions.retryAfter).toBe(1);
    expect(stack.subgraph.calls).toHaveLength(20);
    const scrape = await register.metrics();
    expect(metricValue(scrape, 'gateway_subgraph_circuit_open', { subgraph: 'products' })).toBe(1);
    expect(metricValue(scrape, 'gateway_subgraph_circuit_rejections_total', { subgraph: 'products' })).toBeGreaterThan(
      0,
    );
    // The opening is logged once, as a warning; the refused call at debug level, not as an error.
    const logged = (level: number, msg: string) => lines.filter((line) => line.level === level && line.msg === msg);
    expect(lines.filter((line) => line.msg.startsWith('subgraph circuit opened')).map((line) => line.level)).toEqual([
      40,
    ]);
    expect(logged(20, 'refused: circuit open').map((line) => line.requestId)).toEqual([
      refused.body.errors[0].extensions.requestId,
    ]);
    expect(logged(50, 'internal error')).toHaveLength(20);
    // Over REST too: a 503 problem with Retry-After, logged at debug level only.
    const rest = await fetch(`${stack.base}/api/products`);
    expect(rest.status).toBe(503);
    expect(rest.headers.get('retry-after')).toBe('1');
    expect(logged(20, 'refused: circuit open')).toHaveLength(2);
    expect(lines.filter((line) => line.level >= 50)).toHaveLength(20);
  });
});

describe("what is not the subgraph's failure", () => {
  const stack = gatewayOverRecordingSubgraph();

  it('counts neither waits the caller shortened nor GraphQL errors: after 25 of each the subgraph is still called', async () => {
    stack.subgraph.answer = () => new Promise((done) => setTimeout(() => done({ data: { product: null } }), 300));
    const short = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        postJson(`${stack.base}/graphql`, product(i), { 'x-request-timeout-ms': '50' }),
      ),
    );
    expect(short.map(codeOf)).toEqual(Array(25).fill('SERVICE_UNAVAILABLE'));
    stack.subgraph.answer = () => ({ data: { product: null }, errors: [{ message: 'no such product' }] });
    for (let i = 0; i < 25; i++) await postJson(`${stack.base}/graphql`, product(100 + i));
    stack.subgraph.answer = () => ({ data: { product: { id: 'p1' } } });
    const calls = stack.subgraph.calls.length;
    const served = await postJson(`${stack.base}/graphql`, product(1));
    expect(served.body).toEqual({ data: { product: { id: 'p1' } } });
    expect(stack.subgraph.calls).toHaveLength(calls + 1);
  });
});

describe("the gateway's own timeouts", () => {
  const stack = gatewayOverRecordingSubgraph({ REQUEST_TIMEOUT: '300ms', SUBGRAPH_RETRY: 'false' });

  it('count against a hung subgraph: its circuit opens and later calls are refused without a request', async () => {
    stack.subgraph.answer = () => new Promise((done) => setTimeout(() => done({ data: { product: null } }), 1_000));
    // More than the 20 the circuit needs: on a busy machine a few may run out of time before they are sent.
    const timedOut = await Promise.all(
      Array.from({ length: 30 }, (_, i) => postJson(`${stack.base}/graphql`, product(i))),
    );
    expect(timedOut.map(codeOf)).toEqual(Array(30).fill('SERVICE_UNAVAILABLE'));
    const calls = stack.subgraph.calls.length;
    expect(codeOf(await postJson(`${stack.base}/graphql`, product(50)))).toBe('SERVICE_UNAVAILABLE');
    expect(stack.subgraph.calls).toHaveLength(calls);
  });
});

describe('the circuits configuration', () => {
  const settingsOf = (env: Record<string, string>) =>
    circuitSettingsFrom(parseConfig(gatewayConfig, { NODE_ENV: 'development', ...env }));

  it('takes the rule from SUBGRAPH_CIRCUIT_*, bounded: by default more than half of 20 calls in 10 s opens for 5 s', () => {
    expect(settingsOf({})).toEqual({ volume: 20, errorPercent: 50, windowMs: 10_000, openMs: 5_000 });
    const env = {
      SUBGRAPH_CIRCUIT_MIN_CALLS: '5',
      SUBGRAPH_CIRCUIT_ERROR_PERCENT: '25',
      SUBGRAPH_CIRCUIT_WINDOW: '30s',
      SUBGRAPH_CIRCUIT_OPEN: '2s',
    };
    expect(settingsOf(env)).toEqual({ volume: 5, errorPercent: 25, windowMs: 30_000, openMs: 2_000 });
    expect(() => settingsOf({ SUBGRAPH_CIRCUIT_ERROR_PERCENT: '101' })).toThrow(/SUBGRAPH_CIRCUIT_ERROR_PERCENT/);
    expect(() => settingsOf({ SUBGRAPH_CIRCUIT_MIN_CALLS: '0' })).toThrow(/SUBGRAPH_CIRCUIT_MIN_CALLS/);
    expect(() => settingsOf({ SUBGRAPH_CIRCUIT_OPEN: '10ms' })).toThrow(/SUBGRAPH_CIRCUIT_OPEN/);
  });
});

/** Four calls suffice to open a circuit here; the rest as configured by default. */
const SETTINGS = { volume: 4, errorPercent: 50, windowMs: 10_000, openMs: 5_000 };

describe('SubgraphCircuits', () => {
  const failing = () => Promise.reject(new Error('connection refused'));
  const outcome = (pending: Promise<unknown>) =>
    pending.then(
      () => 'ok',
      (error: { extensions?: { code?: string }; message: string }) => error.extensions?.code ?? error.message,
    );

  it('lets one probe through once open for openMs: its success closes the circuit, its failure opens it again', async () => {
    const { log, lines } = recordingLogger<{ msg: string; subgraph: string }>();
    const circuits = new SubgraphCircuits(log, { ...SETTINGS, openMs: 100 });
    try {
      const all = () => true;
      for (let i = 0; i < 4; i++) await outcome(circuits.run('orders', failing, all));
      expect(await outcome(circuits.run('orders', async () => 'sent', all))).toBe('SERVICE_UNAVAILABLE');
      // Another subgraph's circuit is its own.
      expect(await outcome(circuits.run('users', async () => 'sent', all))).toBe('ok');

      await new Promise((done) => setTimeout(done, 150));
      let release = () => {};
      const probe = circuits.run('orders', () => new Promise<void>((done) => (release = done)), all);
      expect(await outcome(circuits.run('orders', async () => 'sent', all))).toBe('SERVICE_UNAVAILABLE');
      release();
      expect(await outcome(probe)).toBe('ok');
      expect(await outcome(circuits.run('orders', async () => 'sent', all))).toBe('ok');

      for (let i = 0; i < 8; i++) await outcome(circuits.run('orders', failing, all));
      await new Promise((done) => setTimeout(done, 150));
      expect(await outcome(circuits.run('orders', failing, all))).toBe('connection refused');
      expect(await outcome(circuits.run('orders', async () => 'sent', all))).toBe('SERVICE_UNAVAILABLE');
      // Each change of state logged once, naming the subgraph.
      expect(lines.map((line) => `${line.subgraph} ${line.msg.split(':')[0]}`)).toEqual([
        'orders subgraph circuit opened',
        'orders subgraph circuit half-open',
        'orders subgraph circuit closed',
        'orders subgraph circuit opened',
        'orders subgraph circuit half-open',
        'orders subgraph circuit opened',
      ]);
    } finally {
      circuits.close();
    }
  });

  it("passes errors that are not the subgraph's on as they are, and never opens for them", async () => {
    const circuits = new SubgraphCircuits(silentLogger, { ...SETTINGS, openMs: 100 });
    try {
      for (let i = 0; i < 10; i++)
        expect(await outcome(circuits.run('orders', failing, () => false))).toBe('connection refused');
      expect(
        await outcome(
          circuits.run(
            'orders',
            async () => 'sent',
            () => true,
          ),
        ),
      ).toBe('ok');
    } finally {
      circuits.close();
    }
  });
});
