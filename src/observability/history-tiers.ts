/*
 * The storage under a sample History: retention tiers, as RabbitMQ's sample_retention_policies have them. The first
 * tier keeps every sample (every 5 s) densely, for rates, means and idleness; each coarser tier keeps at most one
 * sample per `interval` seconds (the first one taken in each interval, so at the interval's start) for up to
 * `samples` intervals, and only when it differs from the one it kept before: a value that did not change is still
 * the value "at or before" any later time, so an idle object keeps one sample per coarse tier however long it idles.
 * Coarse rings start small and grow (doubling) up to their bound, so memory per object is bounded by the plan and an
 * idle object costs little. Measured with bench/history-memory.ts (Node 20, a simulated day): 10,000 queues with
 * QUEUE_TIERS hold 28.9 MB of samples when idle (2.8 KiB a queue: the dense minute plus two slots per coarse tier;
 * the former single ring of 13 samples held 19.8 MB)
 * and 151 MB when every figure of every queue changes every minute all day (14.8 KiB a queue, the bound: 13 dense
 * samples of 18 figures at 8 bytes, 159 coarse ones at 4; 261 MB before coarse samples were stored as 32-bit
 * differences). The sampler took 8.6 ms per sample of 10,000 idle queues with the former single ring of 13, 11 ms
 * now. The broker-wide and per-vhost histories (GLOBAL_TIERS) hold at most 280 samples, about 31 KiB each.
 * QUEUE_TIERS is the knob if queue histories must cost less: a coarse tier removed saves samples * (4 * figures + 8)
 * bytes a busy queue.
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

/**
 * One ring of timestamped samples of `width` figures. The dense tier stores values as they are; a coarse tier stores
 * each kept sample as its difference from the sample kept before it, in 32 bits (exact for the integer figures kept
 * here while a difference stays under 2^24 in one interval, and within 6e-8 of it beyond), and the newest sample
 * whole, in 64 bits: half the bytes, with running totals that grow past 2^24 kept exactly.
 */
export class Tier {
  times: Float64Array;
  values: Float64Array | Float32Array;
  /** A coarse tier's newest kept sample, whole. */
  private readonly newest: Float64Array;
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
    this.values = dense ? new Float64Array(slots * width) : new Float32Array(slots * width);
    this.newest = new Float64Array(dense ? 0 : width);
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

  /** Figure `i` of the k-th newest sample of the dense tier. */
  value(k: number, i: number): number {
    return this.values[this.slot(k) * this.width + i] as number;
  }

  /** Figure `i` of every sample kept, newest first. */
  column(i: number): number[] {
    const out = new Array<number>(this.count);
    if (this.dense) {
      for (let k = 0; k < this.count; k++) out[k] = this.value(k, i);
      return out;
    }
    let v = this.newest[i] as number;
    for (let k = 0; k < this.count; k++) {
      out[k] = v;
      v -= this.values[this.slot(k) * this.width + i] as number;
    }
    return out;
  }

  /** Offers a sample; returns whether it was kept. */
  offer(timestamp: number, values: ArrayLike<number>): boolean {
    if (this.dense) {
      const at = this.next * this.width;
      for (let i = 0; i < this.width; i++) this.values[at + i] = values[i] ?? 0;
    } else {
      const bucket = Math.floor(timestamp / this.intervalMs);
      if (bucket === this.lastBucket) return false;
      this.lastBucket = bucket;
      if (this.count > 0 && this.sameAsNewest(values)) return false;
      if (this.count === this.capacity && this.capacity < this.max) this.grow();
      const at = this.next * this.width;
      for (let i = 0; i < this.width; i++) {
        const v = values[i] ?? 0;
        this.values[at + i] = v - (this.newest[i] as number);
        this.newest[i] = v;
      }
    }
    this.times[this.next] = timestamp;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    return true;
  }

  private sameAsNewest(values: ArrayLike<number>): boolean {
    for (let i = 0; i < this.width; i++) if (this.newest[i] !== (values[i] ?? 0)) return false;
    return true;
  }

  /** Doubles a coarse ring (up to `max`), oldest sample first. */
  private grow(): void {
    const slots = Math.min(this.max, this.capacity * 2);
    const times = new Float64Array(slots);
    const values = new Float32Array(slots * this.width);
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
    return this.times.byteLength + this.values.byteLength + this.newest.byteLength;
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
    const column = tier.column(i);
    for (let k = 0; k < tier.count; k++) {
      const time = tier.time(k);
      if (time >= oldest) continue;
      raw.push({ time, value: column[k] as number, tier: t });
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
