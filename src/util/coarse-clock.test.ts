import { COARSE_TICK_MS, coarseNow, startCoarseClock, systemClock, type Clock } from './clock';

describe('the coarse clock', () => {
  test('while a broker runs it: the last tick, never ahead of now and at most a tick (plus slack) behind', async () => {
    const leave = startCoarseClock();
    const leaveToo = startCoarseClock();
    try {
      await new Promise((r) => setTimeout(r, COARSE_TICK_MS * 2.5));
      const coarse = coarseNow(systemClock);
      const now = Date.now();
      expect(coarse).toBeLessThanOrEqual(now);
      expect(now - coarse).toBeLessThan(COARSE_TICK_MS * 2);
      leave();
      leave(); // leaving twice counts once: the other user keeps it running
      const frozen = coarseNow(systemClock);
      expect(coarseNow(systemClock)).toBe(frozen);
    } finally {
      leaveToo();
    }
    // Nobody runs it: the precise reading.
    const before = Date.now();
    expect(coarseNow(systemClock)).toBeGreaterThanOrEqual(before);
  });

  test('a clock without a coarse reading (a test clock) gives its precise one', () => {
    const clock: Clock = { now: () => 42, setTimeout: () => ({}), clearTimeout: () => undefined };
    expect(coarseNow(clock)).toBe(42);
  });
});
