import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { NodeTracerProvider, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { commaList } from './config.js';
import { withinLimit } from './time-limit.js';
import { EXPORTERS, isExporterName, PROTOCOLS, type TraceExporterName } from './tracing-config.js';

type Env = Record<string, string | undefined>;

/**
 * Runs background work (outbox relays) outside whichever request's trace kicked it, so each event's
 * publish continues the trace it was recorded in, not the caller's.
 */
export const outsideAnyTrace = <T>(run: () => T): T => context.with(ROOT_CONTEXT, run);

export interface Tracing {
  /** False when no exporter is configured: nothing was registered and every span is a no-op. */
  enabled: boolean;
  /** Sends what is buffered (on shutdown, before the process exits), waiting at most 2 s. */
  flush: () => Promise<void>;
}

export interface TracingOptions {
  /** Export here, span by span, whatever the environment says (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

const DISABLED: Tracing = { enabled: false, flush: async () => {} };
/** The longest a flush waits for the exporter (whose own timeout is 10 s): shutdown has 10 s in all. */
const FLUSH_LIMIT_MS = 2_000;

let provider: NodeTracerProvider | undefined;
let started: Promise<Tracing> | undefined;

/**
 * The exporters the standard OTEL_* variables ask for. Off by default, unlike the SDK's own
 * default (`otlp` to localhost): tracing starts only when `OTEL_TRACES_EXPORTER` names an exporter
 * or an OTLP endpoint is set; `OTEL_SDK_DISABLED=true` wins over both.
 */
export function traceExportersFrom(env: Env): Exclude<TraceExporterName, 'none'>[] {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return [];
  const named = commaList(env.OTEL_TRACES_EXPORTER ?? '').map((name) => name.toLowerCase());
  for (const name of named) {
    if (!isExporterName(name)) {
      throw new Error(`OTEL_TRACES_EXPORTER: "${name}" is not supported (use ${EXPORTERS.join(', ')})`);
    }
  }
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const names = (named.length > 0 ? named : endpoint ? ['otlp'] : []) as TraceExporterName[];
  return names.includes('none') ? [] : [...new Set(names.filter((name) => name !== 'none'))];
}

/** OTLP over HTTP; endpoint, headers, timeout and compression come from the OTEL_EXPORTER_OTLP_* variables. */
async function otlpExporter(env: Env): Promise<SpanExporter> {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (protocol === 'http/protobuf') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter();
  }
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported (use ${PROTOCOLS.join(' or ')})`);
}

/**
 * Starts tracing for this process once (later calls share the first result): a tracer provider
 * with the configured exporters, the W3C trace-context propagator and an AsyncLocalStorage context
 * manager. The sampler comes from OTEL_TRACES_SAMPLER (default: parent-based, always on); the
 * resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, `service.name` defaulting to
 * `service`. With no exporter configured the SDK is not even loaded: the API stays a no-op, a span
 * costs a function call and carries no context.
 */
export function startTracing(service: string, options: TracingOptions = {}): Promise<Tracing> {
  started ??= start(service, options.exporter);
  return started;
}

async function start(service: string, exporter: SpanExporter | undefined): Promise<Tracing> {
  const names = exporter ? [] : traceExportersFrom(process.env);
  if (!exporter && names.length === 0) return DISABLED;
  const sdk = await import('@opentelemetry/sdk-trace-node');
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = await import(
    '@opentelemetry/resources'
  );
  const processors: SpanProcessor[] = exporter ? [new sdk.SimpleSpanProcessor(exporter)] : [];
  for (const name of names) {
    // Batches are sized and timed by OTEL_BSP_*; the console exporter is for a developer watching.
    processors.push(
      name === 'otlp'
        ? new sdk.BatchSpanProcessor(await otlpExporter(process.env))
        : new sdk.SimpleSpanProcessor(new sdk.ConsoleSpanExporter()),
    );
  }
  const registered = new sdk.NodeTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': service }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: processors,
  });
  registered.register();
  provider = registered;
  return {
    enabled: true,
    // Bounded: spans still buffered are not worth a shutdown that overruns its own bound.
    flush: () => withinLimit(registered.forceFlush(), FLUSH_LIMIT_MS).catch(() => undefined),
  };
}

/** Flushes and unregisters everything startTracing registered (tests; a process simply exits). */
export async function stopTracing(): Promise<void> {
  await started?.catch(() => undefined);
  const stopping = provider;
  provider = undefined;
  started = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
  await stopping?.shutdown();
}
