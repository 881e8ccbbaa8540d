/**
 * Fixed-bucket latency histogram in microseconds: values below 64 µs have a bucket each, above that every power of
 * two is split into 32 buckets (relative error under 1/32, about 3%). record() allocates nothing; values are
 * clamped to [0, 2^31 - 1] µs (about 35 minutes).
 */

const SUB = 32;
const LINEAR = 64;
const MAX_VALUE = 0x7fffffff;
/** shift goes up to 30 - 5 = 25: index up to 25 * 32 + 63. */
const BUCKETS = 25 * SUB + 64;

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;

  /** Records one value in microseconds. */
  record(us: number): void {
    let v = us < 0 ? 0 : us > MAX_VALUE ? MAX_VALUE : us | 0;
    if (v > this.max) this.max = v;
    this.count++;
    if (v < LINEAR) {
      this.counts[v]!++;
      return;
    }
    const shift = 31 - Math.clz32(v) - 5;
    v = shift * SUB + (v >>> shift);
    this.counts[v]!++;
  }

  /** The upper bound (µs) of the bucket holding the q-quantile (0 < q <= 1); 0 when empty. Never above max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHigh(i), this.max);
    }
    return this.max;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

/** Highest value (µs) that lands in bucket i. */
export function bucketHigh(i: number): number {
  if (i < LINEAR) return i;
  const shift = (i >>> 5) - 1;
  const m = i - shift * SUB;
  return (m + 1) * 2 ** shift - 1;
}
