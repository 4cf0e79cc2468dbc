// Load generation: autocannon at a fixed concurrency for a fixed time, after a warm-up, with the
// targets taking turns in short rounds so that drift on the shared machine hits them alike.
// Latencies of every response are kept, so percentiles cover all rounds together.
import { loadavg } from 'node:os';
import autocannon from 'autocannon';

export interface Target {
  name: string;
  /** One closed-loop request: autocannon for HTTP targets, a function for multi-fetch chains. */
  http?: {
    url: string;
    body: string;
    headers: Record<string, string>;
    /** Every answer must be exactly this; any other counts as an error. */
    expectBody?: string;
  };
  call?: () => Promise<void>;
  /** Called as each measured turn of this target starts; what it returns, as the turn ends (CPU accounting). */
  onTurn?: () => () => void;
}

export interface Figures {
  name: string;
  requests: number;
  seconds: number;
  errors: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LoadPlan {
  concurrency: number;
  warmupSeconds: number;
  measureSeconds: number;
  rounds: number;
}

/**
 * `total` runs of `task`, `concurrency` at a time (each worker takes the next until all are sent):
 * the milliseconds of each run's `timed` part, and the seconds all of them took.
 */
export async function timedRuns(
  total: number,
  concurrency: number,
  task: (timed: <T>(work: () => Promise<T>) => Promise<T>) => Promise<void>,
): Promise<{ timings: number[]; seconds: number }> {
  const timings: number[] = [];
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings.push(performance.now() - started);
    return result;
  };
  let sent = 0;
  const startedAt = performance.now();
  const worker = async () => {
    while (sent < total) {
      sent++;
      await task(timed);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { timings, seconds: (performance.now() - startedAt) / 1000 };
}

/** The value at rank p (0 to 1) of ascending `sorted` (nearest rank). */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;

interface Sample {
  latencies: number[];
  seconds: number;
  errors: number;
}

async function autocannonRun(target: Target, concurrency: number, seconds: number): Promise<Sample> {
  const http = target.http;
  if (!http) throw new Error(`${target.name}: no HTTP request`);
  const latencies: number[] = [];
  const result = await autocannon({
    url: http.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...http.headers },
    body: http.body,
    connections: concurrency,
    duration: seconds,
    ...(http.expectBody === undefined ? {} : { expectBody: http.expectBody }),
    setupClient: (client) => {
      client.on('response', (_status, _bytes, responseTime) => latencies.push(responseTime));
    },
  });
  return { latencies, seconds, errors: result.errors + result.timeouts + result.non2xx + result.mismatches };
}

/** The same closed loop for a function: `concurrency` callers, each calling again when done. */
async function functionRun(target: Target, concurrency: number, seconds: number): Promise<Sample> {
  const call = target.call;
  if (!call) throw new Error(`${target.name}: no call`);
  const latencies: number[] = [];
  let errors = 0;
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  const worker = async () => {
    while (performance.now() < endAt) {
      const t0 = performance.now();
      try {
        await call();
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, seconds: (performance.now() - startedAt) / 1000, errors };
}

const runOnce = (target: Target, concurrency: number, seconds: number) =>
  target.http ? autocannonRun(target, concurrency, seconds) : functionRun(target, concurrency, seconds);

/** Warm-up for each target, then `rounds` turns each, `measureSeconds` in all per target. */
export async function compare(targets: Target[], plan: LoadPlan): Promise<Figures[]> {
  for (const target of targets) await runOnce(target, plan.concurrency, plan.warmupSeconds);
  const totals = new Map(targets.map((target) => [target.name, { latencies: [] as number[], seconds: 0, errors: 0 }]));
  const slice = plan.measureSeconds / plan.rounds;
  for (let round = 0; round < plan.rounds; round++) {
    // Alternate the order too, so that no target always runs right after the same neighbour.
    const order = round % 2 ? [...targets].reverse() : targets;
    for (const target of order) {
      const turnEnded = target.onTurn?.();
      const sample = await runOnce(target, plan.concurrency, slice);
      turnEnded?.();
      const total = totals.get(target.name);
      if (!total) continue;
      total.latencies.push(...sample.latencies);
      total.seconds += sample.seconds;
      total.errors += sample.errors;
    }
  }
  return targets.map(({ name }) => {
    const total = totals.get(name) ?? { latencies: [], seconds: 1, errors: 0 };
    const sorted = total.latencies.sort((a, b) => a - b);
    return {
      name,
      requests: sorted.length,
      seconds: total.seconds,
      errors: total.errors,
      rps: sorted.length / total.seconds,
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
    };
  });
}

/** Columns a bench adds after the load figures (CPU, memory…), as text per target. */
export interface ExtraColumns {
  headers: string[];
  cells: (figures: Figures) => string[];
}

/** A Markdown table of the targets' load figures, as BENCHMARKS.md records them. */
export function printTable(heading: string, figures: Figures[], extra?: ExtraColumns): void {
  const headers = ['target', 'requests', 'errors', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', ...(extra?.headers ?? [])];
  console.log(`\n### ${heading}\n`);
  console.log(`| ${headers.join(' | ')} |`);
  console.log(`| ${headers.map(() => '---').join(' | ')} |`);
  for (const f of figures) {
    const cells = [
      f.name,
      String(f.requests),
      String(f.errors),
      f.rps.toFixed(1),
      f.p50.toFixed(1),
      f.p95.toFixed(1),
      f.p99.toFixed(1),
      ...(extra?.cells(f) ?? []),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

export const loadAverage = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
