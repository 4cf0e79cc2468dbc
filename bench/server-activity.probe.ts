// What the servers did while the orders scenario ran, from their own counters, sampled before and
// after: the MongoDB commands each service sent (its mongodb_commands_total), the transactions and
// rows of the MongoDB-wire server's PostgreSQL database (pg_stat_database of FerretDB's database),
// and CPU time: each Node process (process_cpu_seconds_total), the FerretDB process and the whole
// machine (/proc). Two samples give rates; a rate beside its ceiling shows what limits the figure.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';
import { ferretdbPgUrl, PORTS, SUBGRAPHS } from './stack.js';

/** Connection upkeep, not work of the scenario. */
const NOT_COUNTED = new Set(['ping', 'hello', 'isMaster', 'ismaster', 'endSessions', 'saslStart', 'saslContinue']);
const PG_COUNTERS = [
  'xact_commit',
  'xact_rollback',
  'tup_returned',
  'tup_fetched',
  'tup_inserted',
  'tup_updated',
  'tup_deleted',
] as const;
type PgCounter = (typeof PG_COUNTERS)[number];

export interface ActivitySample {
  at: number;
  /** MongoDB commands sent by all services, by command name (`find (periodic)`: by a scheduled pass). */
  commands: Record<string, number>;
  /** CPU seconds by process: the gateway, each subgraph, `ferretdb`. */
  cpuSeconds: Record<string, number>;
  /** The machine's busy and total CPU time, in clock ticks over all cores. */
  machine: { busy: number; total: number };
  database?: Record<PgCounter, number>;
}

const run = promisify(execFile);
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
const perSecond = (n: number, seconds: number) => (seconds > 0 ? n / seconds : 0);
const fixed = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function metricValues(text: string, name: string): { labels: string; value: number }[] {
  const values: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] === name) values.push({ labels: match[2] ?? '', value: Number(match[3]) });
  }
  return values;
}

/** The process listening on a port, from `ss` (absent where ss is not, or the process is not ours to see). */
async function listener(port: number): Promise<number | undefined> {
  const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`]).catch(() => ({ stdout: '' }));
  const pid = /pid=(\d+)/.exec(stdout)?.[1];
  return pid ? Number(pid) : undefined;
}

async function processCpuSeconds(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (!fields) return undefined;
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

export class ServerActivity {
  private constructor(
    private readonly database: pg.Client | undefined,
    private readonly ferretdbPid: number | undefined,
  ) {}

  /** `mongoPort`: where the MongoDB-wire server listens (its process's CPU is sampled when visible). */
  static async open(mongoPort: number): Promise<ServerActivity> {
    const client = new pg.Client({ connectionString: ferretdbPgUrl });
    const database = await client.connect().then(
      () => client,
      () => undefined,
    );
    return new ServerActivity(database, await listener(mongoPort));
  }

  async sample(): Promise<ActivitySample> {
    const commands: Record<string, number> = {};
    const cpuSeconds: Record<string, number> = {};
    const endpoints: [string, number][] = [
      ['gateway', PORTS.gatewayMetrics],
      ...SUBGRAPHS.map((name) => [name, PORTS[name]] as [string, number]),
    ];
    await Promise.all(
      endpoints.map(async ([name, port]) => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
        for (const { labels, value } of metricValues(text, 'mongodb_commands_total')) {
          const command = /command="([^"]*)"/.exec(labels)?.[1] ?? 'unknown';
          // Scheduled passes and scrapes (the counter's `origin`) apart from requests and event handling.
          const origin = /origin="([^"]*)"/.exec(labels)?.[1];
          const key = origin && origin !== 'request' ? `${command} (${origin})` : command;
          if (!NOT_COUNTED.has(command)) commands[key] = (commands[key] ?? 0) + value;
        }
        cpuSeconds[name] = metricValues(text, 'process_cpu_seconds_total')[0]?.value ?? 0;
      }),
    );
    const ferretdb = this.ferretdbPid ? await processCpuSeconds(this.ferretdbPid) : undefined;
    if (ferretdb !== undefined) cpuSeconds.ferretdb = ferretdb;
    let database: Record<PgCounter, number> | undefined;
    if (this.database) {
      const { rows } = await this.database.query(
        `SELECT ${PG_COUNTERS.join(', ')} FROM pg_stat_database WHERE datname = current_database()`,
      );
      database = Object.fromEntries(PG_COUNTERS.map((name) => [name, Number(rows[0]?.[name] ?? 0)])) as Record<
        PgCounter,
        number
      >;
    }
    return { at: performance.now(), commands, cpuSeconds, machine: await machineTicks(), database };
  }

  async close(): Promise<void> {
    await this.database?.end().catch(() => undefined);
  }

  /** Commands sent between two samples, in all and per command name. */
  static commands(from: ActivitySample, to: ActivitySample): { total: number; byCommand: Record<string, number> } {
    const byCommand: Record<string, number> = {};
    for (const [name, value] of Object.entries(to.commands)) {
      const delta = value - (from.commands[name] ?? 0);
      if (delta > 0) byCommand[name] = delta;
    }
    return { total: sum(byCommand), byCommand };
  }

  /** Rates between two samples: commands/s the server served, its database's transactions and rows/s, CPU. */
  static describe(from: ActivitySample, to: ActivitySample): string[] {
    const seconds = (to.at - from.at) / 1000;
    const { total, byCommand } = ServerActivity.commands(from, to);
    const rates = Object.entries(byCommand)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${fixed(perSecond(n, seconds), 1)}`)
      .join(', ');
    const lines = [
      `MongoDB-wire server: ${fixed(perSecond(total, seconds), 1)} commands/s from the services (${rates})`,
    ];
    if (from.database && to.database) {
      const delta = (name: PgCounter) => perSecond((to.database?.[name] ?? 0) - (from.database?.[name] ?? 0), seconds);
      lines.push(
        `  its PostgreSQL database (${new URL(ferretdbPgUrl).pathname.slice(1)}): ` +
          `${fixed(delta('xact_commit') + delta('xact_rollback'))} transactions/s (${fixed(delta('xact_rollback'))} rolled back), rows/s: ` +
          `returned ${fixed(delta('tup_returned'))}, fetched ${fixed(delta('tup_fetched'))}, inserted ${fixed(delta('tup_inserted'))}, ` +
          `updated ${fixed(delta('tup_updated'))}, deleted ${fixed(delta('tup_deleted'))} (whole database: other clients of it count too)`,
      );
    } else {
      lines.push(
        `  (no counters of ${new URL(ferretdbPgUrl).pathname.slice(1)}: BENCH_FERRETDB_DATABASE names FerretDB's PostgreSQL database)`,
      );
    }
    const busy = (to.machine.busy - from.machine.busy) / Math.max(1, to.machine.total - from.machine.total);
    const cpu = Object.entries(to.cpuSeconds)
      .map(([name, value]) => `${name} ${fixed((100 * (value - (from.cpuSeconds[name] ?? 0))) / seconds)} %`)
      .join(', ');
    lines.push(`  CPU: machine ${fixed(100 * busy)} % busy of ${cpus().length} cores; one core = 100 %: ${cpu}`);
    return lines;
  }
}
