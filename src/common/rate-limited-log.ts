/**
 * "Warn at most every N ms": an outage that fails every request must not write a log line per
 * request. The first call is always due; after that, one call per interval.
 */
export class WarnEvery {
  private last: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the caller should log now (and then stays false for the next intervalMs). */
  due(): boolean {
    const t = this.now();
    if (this.last !== undefined && t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}
