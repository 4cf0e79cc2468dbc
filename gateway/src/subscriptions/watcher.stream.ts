/**
 * One subscriber's results, pushed by the watch it shares and read by its transport (graphql-ws or
 * SSE). Values pushed before the first read wait for it, so nothing is lost between joining a watch
 * and the transport starting to read. `end()` lets the reader finish what is buffered; `return()`
 * (the client stopped) drops it and calls `left` once.
 */
export class WatcherStream<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private reader: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private gone = false;

  constructor(private readonly left: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    const reader = this.reader;
    if (!reader) {
      this.buffered.push(value);
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
    if (!this.gone) {
      this.gone = true;
      this.left();
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finishReader(): void {
    const reader = this.reader;
    if (!reader || this.buffered.length > 0) return;
    this.reader = undefined;
    reader({ done: true, value: undefined });
  }
}
