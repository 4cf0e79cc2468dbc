// @shop/platform/telemetry: Prometheus metrics and OpenTelemetry tracing (off unless configured).
export * from '../metrics.js';
export * from '../tracing.js';
export * from '../tracing-http.js';
