import { z } from 'zod';

/** The trace exporters and OTLP protocols startTracing (tracing.ts) supports. */
export const EXPORTERS = ['otlp', 'console', 'none'] as const;
export type TraceExporterName = (typeof EXPORTERS)[number];
export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export const isExporterName = (name: string): name is TraceExporterName =>
  (EXPORTERS as readonly string[]).includes(name);

/**
 * The standard OTEL_* variables this project documents, checked with the rest of the configuration
 * so a typo stops the process at start-up. The SDK reads them (and any other OTEL_* variable) itself.
 */
export const tracingConfigShape = {
  OTEL_SDK_DISABLED: z.stringbool().optional(),
  OTEL_TRACES_EXPORTER: z
    .string()
    .refine((value) => value.split(',').every((name) => isExporterName(name.trim().toLowerCase())), {
      message: `a comma-separated list of ${EXPORTERS.join(', ')}`,
    })
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
  OTEL_TRACES_SAMPLER: z.string().optional(),
  OTEL_TRACES_SAMPLER_ARG: z.string().optional(),
};
