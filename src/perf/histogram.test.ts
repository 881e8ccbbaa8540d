import { Histogram, bucketHigh } from './histogram';

describe('Histogram', () => {
  test('empty: every quantile is 0', () => {
    const h = new Histogram();
    expect(h.quantile(0.5)).toBe(0);
    expect(h.max).toBe(0);
  });

  test('exact below 64 µs', () => {
    const h = new Histogram();
    for (let v = 1; v <= 50; v++) h.record(v);
    expect(h.quantile(0.5)).toBe(25);
    expect(h.quantile(1)).toBe(50);
    expect(h.count).toBe(50);
  });

  test('quantiles within 1/32 of the true value, never above max', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v++) h.record(v);
    for (const [q, want] of [[0.5, 50_000], [0.95, 95_000], [0.99, 99_000]] as const) {
      const got = h.quantile(q);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want * (1 + 1 / 32));
    }
    expect(h.quantile(1)).toBe(100_000);
    expect(h.max).toBe(100_000);
  });

  test('bucket bounds are contiguous: each bucket starts where the previous ended', () => {
    const h = new Histogram();
    for (let i = 64; i < h.counts.length; i++) expect(bucketHigh(i - 1) + 1).toBeLessThanOrEqual(bucketHigh(i));
    h.record(bucketHigh(100));
    expect(h.counts[100]).toBe(1);
    h.record(bucketHigh(100) + 1);
    expect(h.counts[101]).toBe(1);
  });

  test('clamps negative and huge values; add and reset', () => {
    const a = new Histogram();
    a.record(-5);
    a.record(1e12);
    expect(a.counts[0]).toBe(1);
    expect(a.max).toBe(0x7fffffff);
    const b = new Histogram();
    b.record(10);
    b.add(a);
    expect(b.count).toBe(3);
    expect(b.max).toBe(0x7fffffff);
    b.reset();
    expect(b.count).toBe(0);
    expect(b.quantile(0.99)).toBe(0);
  });
});
