import { describe, expect, it, vi } from 'vitest';
import { SharedWatch } from './shared-watch.js';

const next = (watcher: { results: AsyncIterator<unknown> }) => watcher.results.next();

describe('SharedWatch', () => {
  it('closes once, when its last watcher leaves (a second return() changes nothing)', async () => {
    const closed = vi.fn();
    const watch = new SharedWatch(closed);
    const [a, b] = [watch.join(), watch.join()];
    await a.results.return();
    expect(closed).not.toHaveBeenCalled();
    await b.results.return();
    await b.results.return();
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('delivers an event only to those watching when it arrived', () => {
    const watch = new SharedWatch(() => {});
    const early = watch.join();
    const recipients = watch.recipients();
    const late = watch.join();
    expect(recipients).toEqual([early]);
    expect(watch.recipients()).toEqual([early, late]);
  });

  it('end() gives every watcher the last result, ends each stream and closes once', async () => {
    const closed = vi.fn();
    const watch = new SharedWatch(closed);
    const watchers = [watch.join(), watch.join()];
    const last = { errors: [] };
    watch.end(last);
    for (const watcher of watchers) {
      expect(await next(watcher)).toEqual({ done: false, value: last });
      expect(await next(watcher)).toEqual({ done: true, value: undefined });
      await watcher.results.return();
    }
    expect(closed).toHaveBeenCalledTimes(1);
    expect(watch.recipients()).toEqual([]);
  });
});
