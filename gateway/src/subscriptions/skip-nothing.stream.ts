/** What a delivery maps to when there is nothing to send (a catch-up that found no change, a recheck that found the token still valid). */
export const NOTHING = Symbol('nothing to send');

/**
 * The stream without its NOTHINGs; `return()` reaches the source at once, as mapAsyncIterator's
 * does. `ended` runs once the stream is over, however it ends.
 */
export function skipNothing<T>(
  source: AsyncIterableIterator<T | typeof NOTHING>,
  ended: () => void,
): AsyncIterableIterator<T> {
  return {
    async next() {
      for (;;) {
        const item = await source.next();
        if (item.done) {
          ended();
          return item;
        }
        if (item.value !== NOTHING) return { done: false, value: item.value };
      }
    },
    async return() {
      ended();
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
