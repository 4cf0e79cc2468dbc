import { rawExchange, silentLogger } from '@shop/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';

let server: MetricsServer;
let failing: MetricsServer;
const base = (target: MetricsServer) => `http://127.0.0.1:${target.port}`;

beforeAll(async () => {
  const source = { contentType: 'text/plain; version=0.0.4', metrics: async () => 'probe_total 3\n' };
  server = await startMetricsServer({ port: 0, host: '127.0.0.1' }, source, silentLogger);
  const unavailable = { ...source, metrics: () => Promise.reject(new Error('a worker did not answer')) };
  failing = await startMetricsServer({ port: 0, host: '127.0.0.1' }, unavailable, silentLogger);
});
afterAll(async () => {
  await server?.close();
  await failing?.close();
});

describe('the metrics listener', () => {
  it('serves the source at GET /metrics in its content type', async () => {
    const response = await fetch(`${base(server)}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await response.text()).toBe('probe_total 3\n');
  });

  it('serves nothing else', async () => {
    expect((await fetch(`${base(server)}/graphql`)).status).toBe(404);
    expect((await fetch(`${base(server)}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('answers 404 to a request whose target is no URL (//a:b/metrics), and goes on serving', async () => {
    const answer = await rawExchange(server.port, 'GET //a:b/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect((await fetch(`${base(server)}/metrics`)).status).toBe(200);
  });

  it('answers 503 without details when the metrics cannot be gathered', async () => {
    const response = await fetch(`${base(failing)}/metrics`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('');
  });

  it('refuses to start on a port that is taken', async () => {
    await expect(
      startMetricsServer(
        { port: server.port, host: '127.0.0.1' },
        { contentType: '', metrics: async () => '' },
        silentLogger,
      ),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
