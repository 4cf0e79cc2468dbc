import { describe, expect, it, vi } from 'vitest';
import { WatcherStream } from './watcher.stream.js';

const next = (watcher: { results: AsyncIterator<unknown> }) => watcher.results.next();

describe('WatcherStream', () => {
  it('keeps what is pushed before the first read, in order, and hands a waiting reader the next push', async () => {
    const watcher = { results: new WatcherStream<unknown>(() => {}) };
    watcher.results.push({ data: { n: 1 } });
    watcher.results.push({ data: { n: 2 } });
    expect(await next(watcher)).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await next(watcher)).toEqual({ done: false, value: { data: { n: 2 } } });
    const waiting = next(watcher);
    watcher.results.push({ data: { n: 3 } });
    expect(await waiting).toEqual({ done: false, value: { data: { n: 3 } } });
  });

  it('after end(), gives what was pushed before it, then the end, and takes no more', async () => {
    const watcher = { results: new WatcherStream<unknown>(() => {}) };
    watcher.results.push({ data: { n: 1 } });
    watcher.results.end();
    watcher.results.push({ data: { n: 2 } });
    expect(await next(watcher)).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await next(watcher)).toEqual({ done: true, value: undefined });
  });

  it('ends a waiting reader at return() and drops what was buffered', async () => {
    const left = vi.fn();
    const [reading, buffering] = [
      { results: new WatcherStream<unknown>(left) },
      { results: new WatcherStream<unknown>(left) },
    ];
    const waiting = next(reading);
    await reading.results.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    buffering.results.push({ data: { n: 1 } });
    await buffering.results.return();
    expect(await next(buffering)).toEqual({ done: true, value: undefined });
    expect(left).toHaveBeenCalledTimes(2);
  });
});
