/**
 * How many results a subscriber may leave unread. A client that reads falls behind by one or two
 * (a send waits for the last to be written); one that stopped reading, while its own actions (a
 * declined payment after another) keep raising events, would otherwise grow the gateway's memory
 * without bound: the socket checks see one pending message, the rest waits here.
 */
export const MAX_UNREAD_RESULTS = 100;

/**
 * One subscriber's results, pushed by the watch it shares and read by its transport (graphql-ws or
 * SSE). Values pushed before the first read wait for it, so nothing is lost between joining a watch
 * and the transport starting to read. `end()` lets the reader finish what is buffered; `return()`
 * (the client stopped) drops it and calls `left` once. A subscriber that leaves more than `limit`
 * unread is ended: what it had not read gives way to `fellBehind()`, its last value, and it leaves.
 */
export class WatcherStream<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private reader: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private gone = false;

  constructor(
    private readonly left: () => void,
    private readonly fellBehind: () => T,
    private readonly limit = MAX_UNREAD_RESULTS,
  ) {}

  push(value: T): void {
    if (this.ended) return;
    const reader = this.reader;
    if (!reader) {
      if (this.buffered.length < this.limit) this.buffered.push(value);
      else this.endBehind();
      return;
    }
    this.reader = undefined;
    reader({ done: false, value });
  }

  /** No more values: the reader gets those already pushed, then the end. */
  end(): void {
    this.ended = true;
    this.finishReader();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ done: false, value: this.buffered.shift() as T });
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.buffered.length = 0;
    this.finishReader();
    this.leave();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private endBehind(): void {
    this.buffered.length = 0;
    this.buffered.push(this.fellBehind());
    this.ended = true;
    this.leave();
  }

  private leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.left();
  }

  private finishReader(): void {
    const reader = this.reader;
    if (!reader || this.buffered.length > 0) return;
    this.reader = undefined;
    reader({ done: true, value: undefined });
  }
}
