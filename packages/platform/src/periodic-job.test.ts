import { describe, expect, it, vi } from 'vitest';
import { PeriodicJob } from './periodic-job.js';
import { recordingLogger } from './testing.js';

/** A job whose passes wait for the test to release them, and record when they ran. */
function gatedJob(intervalMs = 60_000) {
  const { log, lines } = recordingLogger<{ msg: string; job?: string }>('warn');
  const releases: (() => void)[] = [];
  let passes = 0;
  let failNext = false;
  const job = new PeriodicJob<number>({
    name: 'test job',
    intervalMs,
    log,
    pass: async () => {
      const pass = ++passes;
      await new Promise<void>((resolve) => releases.push(resolve));
      if (failNext) {
        failNext = false;
        throw new Error('pass failed');
      }
      return pass;
    },
  });
  return {
    job,
    lines,
    passes: () => passes,
    release: () => releases.shift()?.(),
    failNextPass: () => {
      failNext = true;
    },
    waiting: () => releases.length,
  };
}

describe('PeriodicJob', () => {
  it('never runs two passes at once: runOnce during a pass returns undefined', async () => {
    const { job, release, passes } = gatedJob();
    const first = job.runOnce();
    expect(await job.runOnce()).toBeUndefined();
    release();
    expect(await first).toBe(1);
    expect(passes()).toBe(1);
  });

  it('runs one more pass after a pass during which it was kicked, however often', async () => {
    const { job, release, passes, waiting } = gatedJob();
    job.kick();
    job.kick();
    job.kick();
    await vi.waitFor(() => expect(waiting()).toBe(1));
    release();
    await vi.waitFor(() => expect(passes()).toBe(2));
    release();
    await job.stop();
    expect(passes()).toBe(2);
  });

  it('logs a failed pass under its name and keeps the schedule', async () => {
    const { job, release, lines, failNextPass, waiting } = gatedJob();
    failNextPass();
    const failed = job.runOnce();
    release();
    expect(await failed).toBeUndefined();
    expect(lines).toContainEqual(
      expect.objectContaining({ job: 'test job', msg: 'test job failed; the next pass retries' }),
    );
    const next = job.runOnce();
    await vi.waitFor(() => expect(waiting()).toBe(1));
    release();
    expect(await next).toBe(2);
  });

  it('passes on start and every interval; stop waits for the pass in progress and ends the schedule', async () => {
    vi.useFakeTimers();
    try {
      const { job, release, passes, waiting } = gatedJob(20);
      job.start();
      expect(waiting()).toBe(1);
      release();
      await vi.advanceTimersByTimeAsync(20);
      expect(passes()).toBe(2); // the interval's pass
      let stopped = false;
      const stopping = job.stop().then(() => {
        stopped = true;
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(stopped).toBe(false);
      release();
      await stopping;
      await vi.advanceTimersByTimeAsync(200);
      expect(passes()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('starts no pass on a kick during or after stop (a request that outlived the drain)', async () => {
    const { job, release, passes } = gatedJob();
    job.start();
    const stopping = job.stop();
    job.kick(); // during stop, while the pass runs
    release();
    await stopping;
    job.kick(); // after stop
    await new Promise((resolve) => setImmediate(resolve));
    expect(passes()).toBe(1);
  });

  it('gives each pass its time and a context of its own: a request id named after the job, on its log lines', async () => {
    const { log, lines } = recordingLogger<{ msg: string; requestId?: string }>('info');
    const seen: { now: Date; requestId: string }[] = [];
    const job = new PeriodicJob({
      name: 'stock reservation expiry',
      intervalMs: 60_000,
      log,
      pass: async (now, ctx) => {
        seen.push({ now, requestId: ctx.requestId });
        ctx.log.info('pass ran');
      },
    });
    const later = new Date('2030-01-01T00:00:00Z');
    await job.runOnce(later);
    await job.runOnce();
    expect(seen[0]?.now).toBe(later);
    for (const { requestId } of seen) expect(requestId).toMatch(/^stock-reservation-expiry-[0-9a-f-]{36}$/);
    expect(seen[0]?.requestId).not.toBe(seen[1]?.requestId);
    expect(lines.map((line) => line.requestId)).toEqual(seen.map((pass) => pass.requestId));
  });
});
