import { describe, expect, it, vi } from 'vitest';
import { WatcherStream } from './watcher.stream.js';

const behind = () => ({ errors: ['fell behind'] });
const next = (watcher: { results: AsyncIterator<unknown> }) => watcher.results.next();

describe('WatcherStream', () => {
  it('keeps what is pushed before the first read, in order, and hands a waiting reader the next push', async () => {
    const watcher = { results: new WatcherStream<unknown>(() => {}, behind) };
    watcher.results.push({ data: { n: 1 } });
    watcher.results.push({ data: { n: 2 } });
    expect(await next(watcher)).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await next(watcher)).toEqual({ done: false, value: { data: { n: 2 } } });
    const waiting = next(watcher);
    watcher.results.push({ data: { n: 3 } });
    expect(await waiting).toEqual({ done: false, value: { data: { n: 3 } } });
  });

  it('after end(), gives what was pushed before it, then the end, and takes no more', async () => {
    const watcher = { results: new WatcherStream<unknown>(() => {}, behind) };
    watcher.results.push({ data: { n: 1 } });
    watcher.results.end();
    watcher.results.push({ data: { n: 2 } });
    expect(await next(watcher)).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await next(watcher)).toEqual({ done: true, value: undefined });
  });

  it('ends a waiting reader at return() and drops what was buffered', async () => {
    const left = vi.fn();
    const [reading, buffering] = [
      { results: new WatcherStream<unknown>(left, behind) },
      { results: new WatcherStream<unknown>(left, behind) },
    ];
    const waiting = next(reading);
    await reading.results.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    buffering.results.push({ data: { n: 1 } });
    await buffering.results.return();
    expect(await next(buffering)).toEqual({ done: true, value: undefined });
    expect(left).toHaveBeenCalledTimes(2);
  });

  it('ends a subscriber that leaves more than its limit unread: its backlog gives way to one last value, and it leaves once', async () => {
    const left = vi.fn();
    const watcher = { results: new WatcherStream<unknown>(left, behind, 3) };
    for (let n = 1; n <= 3; n++) watcher.results.push({ data: { n } });
    expect(left).not.toHaveBeenCalled();
    watcher.results.push({ data: { n: 4 } });
    watcher.results.push({ data: { n: 5 } });
    expect(left).toHaveBeenCalledTimes(1);
    expect(await next(watcher)).toEqual({ done: false, value: behind() });
    expect(await next(watcher)).toEqual({ done: true, value: undefined });
    await watcher.results.return();
    expect(left).toHaveBeenCalledTimes(1);
  });

  it('keeps a reader that keeps up, however many values come', async () => {
    const watcher = { results: new WatcherStream<unknown>(() => {}, behind, 3) };
    for (let n = 1; n <= 10; n++) {
      const waiting = next(watcher);
      watcher.results.push({ data: { n } });
      watcher.results.push({ data: { n: -n } });
      expect(await waiting).toEqual({ done: false, value: { data: { n } } });
      expect(await next(watcher)).toEqual({ done: false, value: { data: { n: -n } } });
    }
  });
});
