import type { Clock, Timer } from '../util/clock';

interface HandTimer extends Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/**
 * A Clock moved by hand: time stands still until advance() moves it, and timers fire inside advance(), each at its
 * own due time (in due order, ties in the order they were armed), including timers armed by those callbacks when
 * they fall due within the same advance. Nothing else (the store, setImmediate, I/O) is affected, unlike global fake
 * timers.
 */
export class HandClock implements Clock {
  private time: number;
  private armed = 0;
  private readonly timers = new Set<HandTimer>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: HandTimer = { at: this.time + Math.max(0, ms), order: this.armed++, callback, unref: () => timer };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.timers.delete(timer as HandTimer);
  }

  /** Timers armed and not fired or cleared yet. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: HandTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.order < next.order))) next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next);
      if (next.at > this.time) this.time = next.at;
      next.callback();
    }
    this.time = end;
  }
}
