import { type Metric, register } from 'prom-client';

/**
 * The metric registered as `name` in this process, made by `create` the first time a process asks
 * for it: a module that defines a metric registers nothing when imported (a process without an
 * outbox serves no outbox metric), and every later caller gets the same one.
 */
export function metricOnFirstUse<M extends Metric>(name: string, create: (name: string) => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? create(name);
}
