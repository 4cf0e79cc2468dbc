import { Gauge } from 'prom-client';
import { metricOnFirstUse } from './metric-on-first-use.js';

/** One count (no label), or one count per value of `label` (read at each scrape: entries may come later). */
export type StateCounts =
  | { count: () => Promise<number> }
  | { label: string; counts: Record<string, () => Promise<number>> };

/**
 * Records in a state that should not last (a refund owed, a stock release not confirmed), counted
 * by the database at each scrape, so every replica reports the same figure and an alert rule needs
 * no sum. Registered by the first call, not on import: a process reports it once it runs the work
 * that clears it. A count that fails leaves the last value, and the scrape still answers.
 */
export function stateGauge(name: string, help: string, state: StateCounts): void {
  metricOnFirstUse(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames: 'label' in state ? [state.label] : [],
        async collect() {
          const counts = 'label' in state ? Object.entries(state.counts) : [['', state.count] as const];
          for (const [value, count] of counts) {
            const figure = await count().catch(() => undefined);
            if (figure === undefined) continue;
            if ('label' in state) this.set({ [state.label]: value }, figure);
            else this.set(figure);
          }
        },
      }),
  );
}
