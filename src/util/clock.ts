/**
 * Time as a dependency. Queues, channels and schedulers read the time and arm timers through a Clock, so that tests
 * drive them with jest's fake timers (or a hand-made clock) instead of sleeping on the wall clock.
 *
 * `now()` is ms since the epoch. Timers are the platform's: a Clock only chooses which functions arm them, so the
 * hot path pays nothing for the indirection beyond one property read.
 */
export interface Clock {
  now(): number;
  /**
   * A reading at most COARSE_TICK_MS old, for stamps that tolerate it (a queue entry's arrival), read without a
   * system call; absent: now() is used (see coarseNow).
   */
  coarseNow?(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** What setTimeout returns: Node's Timeout (unref'able) or a test clock's handle. */
export interface Timer {
  unref?(): unknown;
}

/**
 * The process clock. Its functions are looked up when called, not when this object was made, so jest's fake timers
 * (installed after import) take effect for everything built on it.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  coarseNow: () => (coarse.users > 0 ? coarse.time : Date.now()),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** How often the coarse clock is advanced while a broker runs it. */
export const COARSE_TICK_MS = 100;

/**
 * The system clock's coarse reading (Date.now() costs tens of ns, up to ~90 ns on some virtual machines: too much for
 * every enqueue): the time of the last tick of one timer shared by the brokers of the process (startCoarseClock).
 * While none runs it, the coarse reading is Date.now().
 */
const coarse = { time: 0, users: 0, timer: undefined as NodeJS.Timeout | undefined };

/** Starts (or joins) the coarse clock's timer; the returned function leaves it (the last one stops it). */
export function startCoarseClock(): () => void {
  coarse.users++;
  if (coarse.timer === undefined) {
    coarse.time = Date.now();
    coarse.timer = setInterval(() => {
      coarse.time = Date.now();
    }, COARSE_TICK_MS);
    coarse.timer.unref?.();
  }
  let left = false;
  return () => {
    if (left) return;
    left = true;
    if (--coarse.users > 0) return;
    clearInterval(coarse.timer);
    coarse.timer = undefined;
  };
}

/** The clock's coarse reading, or its precise one when it has none. */
export function coarseNow(clock: Clock): number {
  return clock.coarseNow !== undefined ? clock.coarseNow() : clock.now();
}
