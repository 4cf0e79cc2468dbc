// @shop/platform/telemetry: Prometheus metrics and OpenTelemetry tracing (off unless configured).
export * from '../metric-on-first-use.js';
export * from '../metrics.js';
export * from '../state-gauge.js';
export * from '../tracing.js';
export * from '../tracing-http.js';
