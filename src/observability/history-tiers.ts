/*
 * The storage under a sample History: retention tiers, as RabbitMQ's sample_retention_policies have them. The first
 * tier keeps every sample (every 5 s) densely, for rates, means and idleness; each coarser tier keeps at most one
 * sample per `interval` seconds (the first one taken in each interval, so at the interval's start) for up to
 * `samples` intervals, and only when it differs from the one it kept before: a value that did not change is still
 * the value "at or before" any later time, so an idle object keeps one sample per coarse tier however long it idles.
 * Coarse rings start small and grow (doubling) up to their bound, so memory per object is bounded by the plan and an
 * idle object costs little. Measured with bench/history-memory.ts (Node 20, a simulated day): 10,000 queues with
 * QUEUE_TIERS hold 28.9 MB of samples when idle (2.8 KiB a queue: the dense minute plus two slots per coarse tier)
 * and 261 MB when every figure of every queue changes every minute all day (25.5 KiB a queue, the bound: 172
 * samples of 18 figures); one sample of all 10,000 takes 10 ms (idle) to 26 ms (busy). The broker-wide and
 * per-vhost histories (GLOBAL_TIERS) hold at most 280 samples, about 42 KiB each. QUEUE_TIERS is the knob if
 * queue histories must cost less: each coarse tier removed saves its samples * (figures + 1) * 8 bytes a busy queue.
 */

export interface TierSpec {
  /** Seconds between kept samples. */
  readonly interval: number;
  /** Samples kept at most. */
  readonly samples: number;
}

/**
 * Per queue: one minute at 5 s (the UI's default range, and what rates, consumer capacity and idle_since read),
 * then an hour at 60 s, eight hours at 600 s and a day at 1800 s. RabbitMQ's default for queues ("basic") stops at
 * an hour; the ten-minute range at 5 s is drawn from the 60 s tier, interpolated (see `points`).
 */
export const QUEUE_TIERS: readonly TierSpec[] = [
  { interval: 5, samples: 13 },
  { interval: 60, samples: 61 },
  { interval: 600, samples: 49 },
  { interval: 1800, samples: 49 },
];

/** The broker and each vhost: RabbitMQ's "global" policy (ten minutes at 5 s, an hour, eight hours, a day). */
export const GLOBAL_TIERS: readonly TierSpec[] = [
  { interval: 5, samples: 121 },
  { interval: 60, samples: 61 },
  { interval: 600, samples: 49 },
  { interval: 1800, samples: 49 },
];

/** Coarse rings start with this many slots. */
const INITIAL_SLOTS = 2;

/** One ring of timestamped samples of `width` figures. */
export class Tier {
  times: Float64Array;
  values: Float64Array;
  /** Samples kept, at most `max`. */
  count = 0;
  /** Where the next sample goes. */
  next = 0;
  /** The interval (ms since the epoch / interval) of the last sample offered to a coarse tier. */
  private lastBucket = -1;

  constructor(
    readonly intervalMs: number,
    private readonly max: number,
    private readonly width: number,
    /** The finest tier keeps every sample, changed or not. */
    readonly dense: boolean,
  ) {
    const slots = dense ? max : Math.min(max, INITIAL_SLOTS);
    this.times = new Float64Array(slots);
    this.values = new Float64Array(slots * width);
  }

  get capacity(): number {
    return this.times.length;
  }

  /** Slot of the k-th newest sample (k = 0 newest); k < count. */
  slot(k: number): number {
    return (this.next + this.capacity - 1 - k) % this.capacity;
  }

  time(k: number): number {
    return this.times[this.slot(k)] as number;
  }

  value(k: number, i: number): number {
    return this.values[this.slot(k) * this.width + i] as number;
  }

  /** Offers a sample; returns whether it was kept. */
  offer(timestamp: number, values: ArrayLike<number>): boolean {
    if (!this.dense) {
      const bucket = Math.floor(timestamp / this.intervalMs);
      if (bucket === this.lastBucket) return false;
      this.lastBucket = bucket;
      if (this.count > 0 && this.sameAsNewest(values)) return false;
      if (this.count === this.capacity && this.capacity < this.max) this.grow();
    }
    const at = this.next * this.width;
    for (let i = 0; i < this.width; i++) this.values[at + i] = values[i] ?? 0;
    this.times[this.next] = timestamp;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    return true;
  }

  private sameAsNewest(values: ArrayLike<number>): boolean {
    const at = this.slot(0) * this.width;
    for (let i = 0; i < this.width; i++) if (this.values[at + i] !== (values[i] ?? 0)) return false;
    return true;
  }

  /** Doubles the ring (up to `max`), oldest sample first. */
  private grow(): void {
    const slots = Math.min(this.max, this.capacity * 2);
    const times = new Float64Array(slots);
    const values = new Float64Array(slots * this.width);
    for (let k = this.count - 1, j = 0; k >= 0; k--, j++) {
      const s = this.slot(k);
      times[j] = this.times[s] as number;
      values.set(this.values.subarray(s * this.width, (s + 1) * this.width), j * this.width);
    }
    this.times = times;
    this.values = values;
    this.next = this.count % slots;
  }

  /** Bytes of sample storage. */
  get bytes(): number {
    return this.times.byteLength + this.values.byteLength;
  }
}

/** One figure's samples across tiers, newest first. */
export interface Point {
  readonly time: number;
  readonly value: number;
  /**
   * The earliest time the value may have started moving from the previous (older) point's: the older point's tier
   * looked at the value at the start of each of its intervals and kept nothing newer than that point, so the value
   * was still the older one at the last interval start before this point (or at the older point itself, if later).
   */
  readonly since: number;
}

/**
 * Figure `i`'s points, newest first: the finest tier's, then each coarser tier's older than any taken so far.
 */
export function points(tiers: readonly Tier[], i: number): Point[] {
  const raw: Array<{ time: number; value: number; tier: number }> = [];
  let oldest = Infinity;
  tiers.forEach((tier, t) => {
    let taken = oldest;
    for (let k = 0; k < tier.count; k++) {
      const time = tier.time(k);
      if (time >= oldest) continue;
      raw.push({ time, value: tier.value(k, i), tier: t });
      taken = time;
    }
    oldest = taken;
  });
  return raw.map((p, j) => {
    const older = raw[j + 1];
    if (older === undefined) return { time: p.time, value: p.value, since: p.time };
    const interval = (tiers[older.tier] as Tier).intervalMs;
    const lastLook = Math.ceil(p.time / interval) * interval - interval;
    const since = Math.max(older.time, lastLook);
    return { time: p.time, value: p.value, since };
  });
}

/**
 * The value at time `t` from `points` (newest first), starting the search at index `from` (times asked go back, so
 * a caller keeps the index): the point at or before t, moved linearly toward the next newer one when t falls where
 * the value may have been changing. Undefined before the first point.
 */
export function valueAt(pts: readonly Point[], t: number, from: number): { value: number; index: number } | undefined {
  let j = from;
  while (j < pts.length && (pts[j] as Point).time > t) j++;
  const at = pts[j];
  if (at === undefined) return undefined;
  const newer = j > 0 ? pts[j - 1] : undefined;
  if (newer === undefined || at.time === t || t <= newer.since) return { value: at.value, index: j };
  const start = Math.max(newer.since, at.time);
  const share = (t - start) / (newer.time - start);
  return { value: at.value + (newer.value - at.value) * share, index: j };
}
