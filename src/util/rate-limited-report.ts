/**
 * Reports an event that can come in floods (refused connections, accept errors) without flooding the log: the
 * first occurrence is reported at once, later ones are counted and reported together, at most once per interval,
 * with their number and the latest one's details. After a quiet interval the next occurrence is reported at once
 * again. The timer is unref'd: a pending summary does not keep the process alive.
 */
export class RateLimitedReport<T> {
  private count = 0;
  private latest: T | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly flush = (): void => {
    this.timer = undefined;
    if (this.count === 0) return;
    const { count, latest } = this;
    this.count = 0;
    this.latest = undefined;
    this.report(count, latest as T);
    this.arm();
  };

  /** @param report told how many occurrences a report stands for, and the details of the latest of them */
  constructor(
    private readonly report: (count: number, latest: T) => void,
    private readonly intervalMs = 1000,
  ) {}

  add(details: T): void {
    if (this.timer === undefined) {
      this.report(1, details);
      this.arm();
      return;
    }
    this.count++;
    this.latest = details;
  }

  /** Reports what is still counted and stops the timer. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count > 0) {
      const { count, latest } = this;
      this.count = 0;
      this.latest = undefined;
      this.report(count, latest as T);
    }
  }

  private arm(): void {
    this.timer = setTimeout(this.flush, this.intervalMs);
    this.timer.unref();
  }
}
