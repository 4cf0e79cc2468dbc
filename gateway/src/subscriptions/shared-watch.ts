import { type ExecutionResult, GraphQLError } from 'graphql';
import { MAX_UNREAD_RESULTS, WatcherStream } from './watcher.stream.js';

/** One subscriber of a shared watch: its results, and the JSON of the payload it was last sent. */
export interface Watcher {
  readonly results: WatcherStream<ExecutionResult>;
  /** So that a catch-up after a gap in the feed sends only a change. */
  lastSent: string | undefined;
}

/** The last result of a subscriber that stopped reading (MAX_UNREAD_RESULTS). */
const fellBehind = (): ExecutionResult => ({
  errors: [
    new GraphQLError(
      `This subscription left more than ${MAX_UNREAD_RESULTS} results unread and was ended; subscribe again, and query what changed meanwhile`,
      { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } },
    ),
  ],
});

/**
 * The subscribers watching one id with the same token, document and variables: they share one feed
 * listener and one execution per event, whose result reaches each of them. 10,000 subscribers of
 * one order cost one listener, one query and one JSON of the payload per event, not 10,000 of each.
 * `closed` runs once, when the last subscriber leaves or `end` ends them all.
 */
export class SharedWatch {
  private readonly watchers = new Set<Watcher>();
  private open = true;

  constructor(private readonly closed: () => void) {}

  join(): Watcher {
    const watcher: Watcher = {
      results: new WatcherStream<ExecutionResult>(() => this.leave(watcher), fellBehind),
      lastSent: undefined,
    };
    this.watchers.add(watcher);
    return watcher;
  }

  /** Whether a subscriber is left (no longer once the last has left, or `end` ended them all). */
  get isOpen(): boolean {
    return this.open;
  }

  /** Whom an event arriving now is for: a later subscriber was not listening when it happened. */
  recipients(): Watcher[] {
    return [...this.watchers];
  }

  /** A last result to every subscriber, then the end of each stream; the watch closes. */
  end(last: ExecutionResult): void {
    for (const watcher of this.watchers) {
      watcher.results.push(last);
      watcher.results.end();
    }
    this.watchers.clear();
    this.close();
  }

  private leave(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) this.close();
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    this.closed();
  }
}
