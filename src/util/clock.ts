/**
 * Time as a dependency. Queues, channels and schedulers read the time and arm timers through a Clock, so that tests
 * drive them with jest's fake timers (or a hand-made clock) instead of sleeping on the wall clock.
 *
 * `now()` is ms since the epoch. Timers are the platform's: a Clock only chooses which functions arm them, so the
 * hot path pays nothing for the indirection beyond one property read.
 */
export interface Clock {
  now(): number;
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
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};
