import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { metricValue } from './testing.js';

const here = dirname(fileURLToPath(import.meta.url));
let child: ChildProcess | undefined;

/** The fixture process, with its stdout split into lines as they come. */
function startGuarded(fixture = 'shutdown.fixture.ts') {
  child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', resolve(here, fixture)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((done) => child?.once('exit', (code) => done(code)));
  const send = (line: string) => child?.stdin?.write(`${line}\n`);
  const logged = (msg: string) =>
    lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === msg);
  return { lines, exited, send, logged };
}

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('the last-resort error handlers onShutdown installs', () => {
  it('logs an unhandled rejection with its request id, counts it, and keeps serving', async () => {
    const guarded = startGuarded();
    await vi.waitFor(() => expect(guarded.logged('ready')).toHaveLength(1), { timeout: 30_000 });
    // Each kind's series is there at 0 before any error: Prometheus' increase() misses a first sample.
    guarded.send('metrics');
    const zero = (kind: string) => new RegExp(`^process_unhandled_errors_total\\{[^}]*kind="${kind}"[^}]*\\} 0$`);
    await vi.waitFor(() => {
      for (const kind of ['unhandledRejection', 'uncaughtException']) {
        expect(
          guarded.lines.some((line) => zero(kind).test(line)),
          kind,
        ).toBe(true);
      }
    });
    guarded.send('reject req-41');
    await vi.waitFor(() => expect(guarded.logged('unhandled promise rejection')).toHaveLength(1));
    expect(guarded.logged('unhandled promise rejection')[0]).toMatchObject({
      requestId: 'req-41',
      err: { message: 'nobody waited for me' },
    });
    guarded.send('metrics');
    await vi.waitFor(() =>
      expect(
        metricValue(guarded.lines.join('\n'), 'process_unhandled_errors_total', { kind: 'unhandledRejection' }),
      ).toBe(1),
    );
    child?.kill('SIGTERM');
    expect(await guarded.exited).toBe(0);
  }, 40_000);

  it('on an uncaught exception, logs it with its request id, runs the shutdown steps and exits 1', async () => {
    const guarded = startGuarded();
    await vi.waitFor(() => expect(guarded.logged('ready')).toHaveLength(1), { timeout: 30_000 });
    guarded.send('throw req-42');
    expect(await guarded.exited).toBe(1);
    expect(guarded.logged('uncaught exception; shutting down')[0]).toMatchObject({
      requestId: 'req-42',
      err: { message: 'thrown from a timer' },
    });
    expect(guarded.logged('closing step ran')).toHaveLength(1);
  }, 40_000);
});

describe('startOrExit', () => {
  it('says in one log line why a start-up failed, and exits 1 although something still holds the process', async () => {
    const starting = startGuarded('start-up.fixture.ts');
    expect(await starting.exited).toBe(1);
    expect(starting.logged('start-up failed')).toEqual([
      expect.objectContaining({
        level: 60,
        err: expect.objectContaining({ message: 'no database at mongodb://nowhere:27017' }),
      }),
    ]);
    expect(starting.logged('serving')).toEqual([]);
  }, 40_000);
});
