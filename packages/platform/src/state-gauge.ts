import { Counter, Gauge } from 'prom-client';
import { metricOnFirstUse } from './metric-on-first-use.js';
import { withinLimit } from './time-limit.js';

/** How long a scrape waits for one count; one that takes longer leaves the last figure. */
const COUNT_LIMIT_MS = 3_000;

/** Counts that failed or took too long, per gauge: its figure is then the last one counted (StateGaugeStale). */
const countFailures = () =>
  metricOnFirstUse(
    'state_gauge_count_failures_total',
    (name) =>
      new Counter({
        name,
        help: 'Scrapes at which a state gauge could not be counted (database error or over 3 s) and kept its last figure',
        labelNames: ['gauge'],
      }),
  );

/** One count (no label), or one count per value of `label` (read at each scrape: entries may come later). */
export type StateCounts =
  | { count: () => Promise<number> }
  | { label: string; counts: Record<string, () => Promise<number>> };

/**
 * Records in a state that should not last (a refund owed, a stock release not confirmed), counted
 * by the database at each scrape, so every replica reports the same figure and an alert rule needs
 * no sum. Registered by the first call, not on import: a process reports it once it runs the work
 * that clears it. A count that fails or takes over COUNT_LIMIT_MS leaves the last value, and the
 * scrape still answers; `state_gauge_count_failures_total` says so.
 */
export function stateGauge(name: string, help: string, state: StateCounts): void {
  const failures = countFailures();
  // From 0, so that increase() sees a gauge's first failure.
  failures.inc({ gauge: name }, 0);
  metricOnFirstUse(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames: 'label' in state ? [state.label] : [],
        async collect() {
          const counts = 'label' in state ? Object.entries(state.counts) : [['', state.count] as const];
          // Together, each within COUNT_LIMIT_MS: a database that does not answer must not make the
          // scrape outlast Prometheus' timeout (10 s), which would report the process down.
          const figures = await Promise.all(
            counts.map(([, count]) => withinLimit(count(), COUNT_LIMIT_MS).catch(() => undefined)),
          );
          counts.forEach(([value], i) => {
            const figure = figures[i];
            if (figure === undefined) return;
            if ('label' in state) this.set({ [state.label]: value }, figure);
            else this.set(figure);
          });
          // Once per scrape, however many of its labels' counts failed.
          if (figures.includes(undefined)) failures.inc({ gauge: name });
        },
      }),
  );
}
