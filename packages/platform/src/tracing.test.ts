import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { captureTraceContext } from '@shop/events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from './testing.js';
import { startTracing, stopTracing, traceExportersFrom } from './tracing.js';

const OTEL_VARS = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
];

// A real HTTP peer standing in for an OTLP collector: counts what reaches /v1/traces.
let collector: Server;
let collectorUrl: string;
const collected: { contentType: string | undefined; bytes: number }[] = [];

beforeAll(async () => {
  collector = createServer(async (req, res) => {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    if (req.url === '/v1/traces') collected.push({ contentType: req.headers['content-type'], bytes });
    res.end();
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => collector.close(resolve)));

afterEach(async () => {
  await stopTracing();
  vi.unstubAllEnvs();
  collected.length = 0;
});

/** The environment of a process where none of the OTEL_* variables is set, plus `env`. */
function environment(env: Record<string, string> = {}): void {
  for (const name of OTEL_VARS) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

function endOneSpan(): string {
  const span = trace.getTracer('tracing-test').startSpan('probe');
  span.end();
  return span.spanContext().traceId;
}

describe('traceExportersFrom', () => {
  it('is off unless an exporter or an OTLP endpoint is named, and OTEL_SDK_DISABLED wins', () => {
    expect(traceExportersFrom({})).toEqual([]);
    expect(traceExportersFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(['otlp']);
    expect(traceExportersFrom({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual([
      'otlp',
    ]);
    expect(traceExportersFrom({ OTEL_TRACES_EXPORTER: 'console, otlp' })).toEqual(['console', 'otlp']);
    expect(traceExportersFrom({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual(
      [],
    );
    expect(traceExportersFrom({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual([]);
  });

  it('names the variable when the exporter is unknown', () => {
    expect(() => traceExportersFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER: "zipkin"/);
  });
});

describe('startTracing', () => {
  it('registers nothing by default: spans do not record and no trace context is propagated', async () => {
    environment();
    expect((await startTracing('svc')).enabled).toBe(false);
    const span = trace.getTracer('tracing-test').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    span.end();
    await trace.getTracer('tracing-test').startActiveSpan('outer', async (outer) => {
      expect(captureTraceContext()).toBeUndefined();
      outer.end();
    });
  });

  it('collected over OTLP/HTTP (protobuf) to the configured endpoint, and not at all when the SDK is disabled', async () => {
    environment({ OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_SDK_DISABLED: 'true' });
    const disabled = await startTracing('svc');
    expect(disabled.enabled).toBe(false);
    endOneSpan();
    await disabled.flush();
    await stopTracing();

    environment({ OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl });
    const enabled = await startTracing('svc');
    expect(enabled.enabled).toBe(true);
    endOneSpan();
    await enabled.flush();
    expect(collected).toHaveLength(1);
    expect(collected[0]?.contentType).toBe('application/x-protobuf');
    expect(collected[0]?.bytes).toBeGreaterThan(0);
  });

  it('gives up a flush after 2 s when the collector does not answer, so shutdown goes on', async () => {
    // A collector that takes the request and never answers (the exporter's own timeout is 10 s).
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      environment({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` });
      const tracing = await startTracing('svc');
      endOneSpan();
      await tracing.flush();
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 6_000);

  it('sends OTLP as JSON when OTEL_EXPORTER_OTLP_PROTOCOL asks for it, and refuses gRPC by name', async () => {
    environment({ OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const tracing = await startTracing('svc');
    endOneSpan();
    await tracing.flush();
    expect(collected.map((request) => request.contentType)).toEqual(['application/json']);
    await stopTracing();

    environment({ OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    await expect(startTracing('svc')).rejects.toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc"/);
  });

  it('names the service after the process unless OTEL_SERVICE_NAME says otherwise', async () => {
    const resourceOfASpan = async (service: string) => {
      const spans = new InMemorySpanExporter();
      await startTracing(service, { exporter: spans });
      endOneSpan();
      const [span] = spans.getFinishedSpans();
      await stopTracing();
      return span?.resource.attributes;
    };
    environment();
    expect(await resourceOfASpan('orders')).toMatchObject({ 'service.name': 'orders' });
    environment({ OTEL_SERVICE_NAME: 'orders-eu', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging' });
    expect(await resourceOfASpan('orders')).toMatchObject({
      'service.name': 'orders-eu',
      'deployment.environment.name': 'staging',
    });
  });

  it('puts the active span’s trace and span ids on every log line written inside it', async () => {
    environment();
    const spans = new InMemorySpanExporter();
    await startTracing('svc', { exporter: spans });
    const { log, lines } = recordingLogger('info', 'svc');
    log.info('outside');
    const ids = await trace.getTracer('tracing-test').startActiveSpan('work', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.info('inside, after an await');
      span.end();
      return span.spanContext();
    });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ msg: 'inside, after an await', trace_id: ids.traceId, span_id: ids.spanId });
    expect(spans.getFinishedSpans().map((span) => span.name)).toEqual(['work']);
  });
});
