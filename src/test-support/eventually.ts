/**
 * Waiting in unit tests without guessing how long. Prefer fake timers (jest.useFakeTimers + advanceTimersByTime) for
 * anything a Clock drives; use these for work that completes on real I/O (a store's writer thread, a socket).
 */

/** Resolves after `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Polls `condition` every few ms until it holds; fails the test with `what` after `ms` (a generous bound: it is the
 * limit of a hang, not the expected time).
 */
export async function eventually(condition: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(2);
  }
}
