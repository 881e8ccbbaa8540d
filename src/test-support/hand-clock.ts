import type { Clock, Timer } from '../util/clock';

interface HandTimer extends Timer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A Clock that moves only when a test says so: `advance(ms)` runs the timers that fall due, in time order, each
 * seeing now() at its own due time. Only what is built on this clock is affected; everything else keeps real timers.
 */
export class HandClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: HandTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: HandTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback, unref: () => timer };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
  }

  /** Timers armed and not yet run or cleared. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running every timer due by then (including those armed meanwhile). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let next: HandTimer | undefined;
      for (const t of this.timers) if (t.at <= until && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }
}
