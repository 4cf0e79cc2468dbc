/**
 * How many retries the gateway may send, as Apollo Router's and Finagle's retry budgets do: at most
 * `ratio` of the requests of the last ten seconds, plus `perSecond` each second. A subgraph that
 * fails every request then gets about 1.2 times its load, not twice: retries help through a blip
 * (a replica restarting, a keep-alive socket closed as it was reused) without making an outage worse.
 */
export class RetryBudget {
  private static readonly SECONDS = 10;
  private readonly requests = new Array<number>(RetryBudget.SECONDS).fill(0);
  private readonly retries = new Array<number>(RetryBudget.SECONDS).fill(0);
  private second = 0;

  constructor(
    private readonly ratio: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a first attempt: it earns the next retries their share. */
  deposit(): void {
    const slot = this.slot();
    this.requests[slot] = (this.requests[slot] ?? 0) + 1;
  }

  /** True (and counted) when a retry fits in the budget now. */
  withdraw(): boolean {
    const slot = this.slot();
    const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
    const allowed = this.perSecond * RetryBudget.SECONDS + this.ratio * sum(this.requests);
    if (sum(this.retries) + 1 > allowed) return false;
    this.retries[slot] = (this.retries[slot] ?? 0) + 1;
    return true;
  }

  /** This second's bucket, emptying the buckets of the seconds passed since the last call. */
  private slot(): number {
    const second = Math.floor(this.now() / 1000);
    for (let passed = this.second + 1; passed <= second && passed <= this.second + RetryBudget.SECONDS; passed++) {
      this.requests[passed % RetryBudget.SECONDS] = 0;
      this.retries[passed % RetryBudget.SECONDS] = 0;
    }
    this.second = Math.max(this.second, second);
    return this.second % RetryBudget.SECONDS;
  }
}
