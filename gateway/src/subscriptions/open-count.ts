/** Open sockets per key (client address, user); a key leaves the map with its last socket. */
export class OpenCount {
  private readonly counts = new Map<string, number>();

  /** Counts one more unless `max` are open; the release function undoes it once. */
  take(key: string, max: number): (() => void) | undefined {
    const open = this.counts.get(key) ?? 0;
    if (open >= max) return undefined;
    this.counts.set(key, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
  }
}
