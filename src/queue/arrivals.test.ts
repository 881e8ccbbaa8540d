import { ARRIVAL_RESOLUTION_MS, Arrivals } from './arrivals';

describe('Arrivals: when stored entries arrived, to within a resolution, never later than they did', () => {
  test('one mark per resolution; an entry gets the last mark at or before its seq', () => {
    const a = new Arrivals();
    a.note(10, 1_000);
    a.note(11, 1_500); // same second: no mark
    a.note(12, 2_100);
    expect(a.size).toBe(2);
    expect(a.arrivalOf(10)).toBe(1_000);
    expect(a.arrivalOf(11)).toBe(1_000);
    expect(a.arrivalOf(12)).toBe(2_100);
    expect(a.arrivalOf(500)).toBe(2_100);
  });

  test('before every mark: the recovery time (recovered entries count from it)', () => {
    const a = new Arrivals();
    a.recoveredAt = 777;
    a.note(50, 5_000);
    expect(a.arrivalOf(3)).toBe(777);
  });

  test('marks behind the loaded entries go, keeping the one that still covers the next', () => {
    const a = new Arrivals();
    for (let i = 0; i < 200; i++) a.note(i * 10, i * ARRIVAL_RESOLUTION_MS);
    a.loadedThrough(1_505);
    expect(a.arrivalOf(1_506)).toBe(150 * ARRIVAL_RESOLUTION_MS);
    expect(a.size).toBe(50);
    a.clear();
    expect(a.size).toBe(0);
  });

  test('bounded: past the cap the marks thin out, the answer only gets earlier', () => {
    const a = new Arrivals();
    for (let i = 0; i < 10_000; i++) a.note(i, i * ARRIVAL_RESOLUTION_MS);
    expect(a.size).toBeLessThanOrEqual(4_096);
    for (const seq of [0, 1, 4_097, 9_999]) expect(a.arrivalOf(seq)).toBeLessThanOrEqual(seq * ARRIVAL_RESOLUTION_MS);
    expect(a.arrivalOf(9_999)).toBeGreaterThan(9_990 * ARRIVAL_RESOLUTION_MS);
  });
});
