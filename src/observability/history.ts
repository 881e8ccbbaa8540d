import { COUNTERS, MessageStats, type Counter } from './stats';
import { GLOBAL_TIERS, QUEUE_TIERS, Tier, points, valueAt, type TierSpec } from './history-tiers';

/*
 * Sample histories for the management API's `*_details` (RabbitMQ's rabbit_mgmt_stats): every SAMPLE_INTERVAL_MS the
 * broker records a few figures of each queue, each vhost and the whole broker into retention tiers (history-tiers.ts:
 * every sample for a minute or ten, then one a minute, one per ten minutes and one per half hour, up to a day), so
 * the UI's ranges from the last minute to the last day have samples, and memory per object is bounded (see there for
 * the measured cost of 10,000 queues). From the finest tier come the rates (`messages_details.rate`); when a
 * request asks with `?lengths_age=&lengths_incr=` (and msg_rates_*, data_rates_*), RabbitMQ's `samples` / `avg` /
 * `avg_rate`. A range reaching back further than the history gets the samples it has.
 *
 * Histories are kept in WeakMaps keyed by the object they describe (a Queue, a VirtualHost, the broker's
 * MessageStats), so a deleted object's history goes with it, and brokers in one process do not share any.
 */

/** RabbitMQ's default collect_statistics_interval. */
export const SAMPLE_INTERVAL_MS = 5_000;
/** Samples of a one-tier History: one minute at 5 s, the web UI's default range ("last minute"), plus the current one. */
export const HISTORY_SAMPLES = 13;

export const LENGTH_SERIES = ['messages', 'messages_ready', 'messages_unacknowledged'] as const;
/** Message counters as sampled: COUNTERS and their sum deliver_get, as RabbitMQ reports them. */
export const COUNTER_SERIES = [...COUNTERS, 'deliver_get'] as const;
export const DATA_SERIES = ['recv_oct', 'send_oct'] as const;

export type SeriesKind = 'lengths' | 'msg_rates' | 'data_rates' | 'node_stats';

/** One `?<kind>_age=&<kind>_incr=` range, in seconds. */
export interface SampleRange {
  readonly age: number;
  readonly incr: number;
}

export type Ranges = Partial<Record<SeriesKind, SampleRange>>;

export interface Details {
  rate: number;
  samples?: Array<{ sample: number; timestamp: number }>;
  avg?: number;
  avg_rate?: number;
}

/** RabbitMQ's limits on a range: at most this many samples per answer (the UI asks for 61 at most). */
const MAX_SAMPLES_PER_ANSWER = 1000;

/**
 * Reads `lengths_age`, `lengths_incr`, `msg_rates_age`, ... from a query; a kind is present when both its numbers
 * are positive integers (RabbitMQ answers 400 to others; we ignore them and answer without samples).
 */
export function parseRanges(query: unknown): Ranges {
  const out: Ranges = {};
  if (query === null || typeof query !== 'object') return out;
  const q = query as Record<string, unknown>;
  for (const kind of ['lengths', 'msg_rates', 'data_rates', 'node_stats'] as const) {
    const age = Number(q[`${kind}_age`]);
    const incr = Number(q[`${kind}_incr`]);
    if (Number.isInteger(age) && Number.isInteger(incr) && age > 0 && incr > 0) out[kind] = { age, incr };
  }
  return out;
}

/**
 * Timestamped samples of a few named figures, in retention tiers (history-tiers.ts): the finest keeps every sample,
 * coarser ones one per interval, so ranges from the last minute to the last day have samples.
 */
export class History {
  private readonly width: number;
  private readonly index = new Map<string, number>();
  private readonly tiers: Tier[];
  /** When a sample last differed from the one before (or the first sample): idle_since. */
  lastChange = 0;

  /** `plan`: the tiers, or a number of samples for one tier of 5 s samples only. */
  constructor(names: readonly string[], plan: readonly TierSpec[] | number = HISTORY_SAMPLES) {
    names.forEach((name, i) => this.index.set(name, i));
    this.width = names.length;
    const specs = typeof plan === 'number' ? [{ interval: SAMPLE_INTERVAL_MS / 1000, samples: plan }] : plan;
    this.tiers = specs.map((spec, i) => new Tier(spec.interval * 1000, spec.samples, this.width, i === 0));
  }

  private get fine(): Tier {
    return this.tiers[0] as Tier;
  }

  /** Records one sample: `values` in the order of the names given to the constructor. */
  record(timestamp: number, values: ArrayLike<number>): void {
    const fine = this.fine;
    let changed = fine.count === 0;
    for (let i = 0; i < this.width && !changed; i++) if (fine.value(0, i) !== (values[i] ?? 0)) changed = true;
    for (const tier of this.tiers) tier.offer(timestamp, values);
    if (changed) this.lastChange = timestamp;
  }

  /** Samples in the finest tier. */
  get size(): number {
    return this.fine.count;
  }

  /** Bytes of sample storage, all tiers. */
  get bytes(): number {
    return this.tiers.reduce((sum, tier) => sum + tier.bytes, 0);
  }

  /** The newest sample's timestamp, 0 when none. */
  get latest(): number {
    return this.fine.count === 0 ? 0 : this.fine.time(0);
  }

  /** Whether the newest sample equals the one before it (nothing happened over the last interval). */
  get idle(): boolean {
    return this.fine.count >= 2 && this.lastChange < this.latest;
  }

  /** Per-second change of `name` over the last interval (RabbitMQ's `rate`), 0 with fewer than two samples. */
  rate(name: string): number {
    const i = this.index.get(name);
    const fine = this.fine;
    if (i === undefined || fine.count < 2 || fine.time(0) <= fine.time(1)) return 0;
    return (fine.value(0, i) - fine.value(1, i)) / ((fine.time(0) - fine.time(1)) / 1000);
  }

  /**
   * Per-second change of `name` between the newest sample and the oldest one at most `spanMs` before it (the
   * finest tier), with the seconds it covers; rate 0 over 0 s with fewer than two samples.
   */
  rateOver(name: string, spanMs: number): { rate: number; seconds: number } {
    const i = this.index.get(name);
    const fine = this.fine;
    if (i === undefined || fine.count < 2) return { rate: 0, seconds: 0 };
    const newest = fine.time(0);
    let k = 0;
    while (k + 1 < fine.count && newest - fine.time(k + 1) <= spanMs) k++;
    const seconds = (newest - fine.time(k)) / 1000;
    return seconds <= 0 ? { rate: 0, seconds: 0 } : { rate: (fine.value(0, i) - fine.value(k, i)) / seconds, seconds };
  }

  /** The mean of `name` over the finest tier's samples (consumer_capacity), or undefined with none. */
  mean(name: string): number | undefined {
    const i = this.index.get(name);
    const fine = this.fine;
    if (fine.count === 0 || i === undefined) return undefined;
    let sum = 0;
    for (let k = 0; k < fine.count; k++) sum += fine.value(k, i);
    return sum / fine.count;
  }

  /**
   * RabbitMQ's `<name>_details`: `{ rate }`, and with a range `samples` (newest first, at multiples of `incr`
   * seconds going back `age` seconds, each the value at that time: recorded at or before it, or moved toward the
   * next kept sample where a coarse tier kept only one per interval), `avg` (their mean) and `avg_rate` (newest
   * minus oldest over the time between them). A range reaching back before the oldest sample kept ends there.
   */
  details(name: string, range: SampleRange | undefined, now: number): Details {
    const out: Details = { rate: round(this.rate(name)) };
    if (range === undefined) return out;
    const i = this.index.get(name);
    const pts = i === undefined ? [] : points(this.tiers, i);
    const incr = range.incr * 1000;
    const steps = Math.min(Math.floor(range.age / range.incr), MAX_SAMPLES_PER_ANSWER - 1);
    // The newest sample answered is the newest recorded, not `now`: between two samples, a point at now's aligned time
    // would repeat the last value and draw every rate falling to 0 at the right edge of a chart.
    const newest = pts[0]?.time ?? now;
    const first = Math.floor(Math.min(now, newest) / incr) * incr;
    const samples: Array<{ sample: number; timestamp: number }> = [];
    let from = 0;
    for (let step = 0; step <= steps; step++) {
      const t = first - step * incr;
      const found = valueAt(pts, t, from);
      if (found === undefined) break;
      from = found.index;
      samples.push({ sample: Math.round(found.value), timestamp: t });
    }
    out.samples = samples;
    const latest = samples[0];
    const oldest = samples[samples.length - 1];
    out.avg = samples.length === 0 ? 0 : samples.reduce((sum, s) => sum + s.sample, 0) / samples.length;
    out.avg_rate =
      latest === undefined || oldest === undefined || latest.timestamp === oldest.timestamp
        ? 0
        : (latest.sample - oldest.sample) / ((latest.timestamp - oldest.timestamp) / 1000);
    return out;
  }
}

function round(rate: number): number {
  return Math.round(rate * 10) / 10;
}

// ---------------------------------------------------------------------------------------------------------------
// What the broker samples.

/** The figures of a queue the sampler reads (Queue has them). */
export interface SampledQueue {
  readonly messageCount: number;
  readonly unackedCount: number;
  readonly consumerCount: number;
  readonly stats: MessageStats;
}

export interface SampledVhost {
  readonly name: string;
  readonly queues: { values(): Iterable<SampledQueue> };
}

/** A connection as the sampler reads it (ConnectionInfo has these). */
export interface SampledConnection {
  readonly vhost: string;
  readonly recvOct?: number;
  readonly sendOct?: number;
  channels?(): ReadonlyArray<{ readonly stats: MessageStats }>;
}

export const QUEUE_SERIES = [...LENGTH_SERIES, ...COUNTER_SERIES, 'consumer_capacity'] as const;
export const VHOST_SERIES = [...LENGTH_SERIES, ...COUNTER_SERIES, ...DATA_SERIES] as const;
export const OVERVIEW_SERIES = [...LENGTH_SERIES, ...COUNTER_SERIES] as const;

/** A vhost's running totals: message counters and bytes of every connection it had, as RabbitMQ keeps them. */
export class VhostTotals {
  readonly stats = new MessageStats();
  recvOct = 0;
  sendOct = 0;
}

const ZEROS: number[] = new Array<number>(QUEUE_SERIES.length).fill(0);
const queueHistories = new WeakMap<object, History>();
const vhostHistories = new WeakMap<object, History>();
const vhostTotals = new WeakMap<object, VhostTotals>();
const overviewHistories = new WeakMap<object, History>();
/** The counter values and bytes a channel or connection had at the previous sample, to add only what is new. */
const lastSeen = new WeakMap<object, Float64Array>();

export function queueHistory(queue: object): History | undefined {
  return queueHistories.get(queue);
}

export function vhostHistory(vhost: object): History | undefined {
  return vhostHistories.get(vhost);
}

export function vhostTotalsOf(vhost: object): VhostTotals | undefined {
  return vhostTotals.get(vhost);
}

/** The broker-wide history, keyed by the broker's MessageStats. */
export function overviewHistory(stats: object): History | undefined {
  return overviewHistories.get(stats);
}

function counterValues(stats: MessageStats, out: number[]): void {
  for (const name of COUNTERS) out.push(stats[name]);
  out.push(stats.deliver + stats.deliver_no_ack + stats.get + stats.get_no_ack);
}

/** Adds to `totals` what `stats` counted since the previous call for the same key. */
function addNew(key: object, stats: MessageStats, totals: MessageStats): void {
  let seen = lastSeen.get(key);
  if (seen === undefined) {
    seen = new Float64Array(COUNTERS.length);
    lastSeen.set(key, seen);
  }
  COUNTERS.forEach((name: Counter, i) => {
    const now = stats[name];
    totals[name] += Math.max(0, now - (seen as Float64Array)[i]!);
    (seen as Float64Array)[i] = now;
  });
}

/** A connection's bytes at the previous sample, and its byte rates over the last interval (bytes/s). */
const connectionBytes = new WeakMap<object, Float64Array>();

function addBytes(key: object, recv: number, send: number, totals: VhostTotals): void {
  let seen = connectionBytes.get(key);
  const first = seen === undefined;
  if (seen === undefined) {
    seen = new Float64Array(4);
    connectionBytes.set(key, seen);
  }
  const newRecv = Math.max(0, recv - seen[0]!);
  const newSend = Math.max(0, send - seen[1]!);
  totals.recvOct += newRecv;
  totals.sendOct += newSend;
  // A connection's first sample has no interval behind it: its rate starts at the next one.
  seen[2] = first ? 0 : newRecv / (SAMPLE_INTERVAL_MS / 1000);
  seen[3] = first ? 0 : newSend / (SAMPLE_INTERVAL_MS / 1000);
  seen[0] = recv;
  seen[1] = send;
}

/** A connection's received and sent bytes per second over the last sample interval (0 before its second sample). */
export function connectionByteRates(key: object): { recv: number; send: number } {
  const seen = connectionBytes.get(key);
  return seen === undefined ? { recv: 0, send: 0 } : { recv: seen[2]!, send: seen[3]! };
}

/**
 * One sample of everything: each queue's lengths and counters, each vhost's totals (connections are matched to
 * their vhost by name; `connectionKey` gives a stable object per connection, for its byte counts), and the broker's.
 * Called by the broker every SAMPLE_INTERVAL_MS; `now` is ms since the epoch.
 */
export function recordHistories(
  now: number,
  broker: MessageStats,
  vhosts: Iterable<SampledVhost & object>,
  connections: Iterable<{ key: object; info: SampledConnection }>,
): void {
  const timestamp = Math.floor(now / SAMPLE_INTERVAL_MS) * SAMPLE_INTERVAL_MS;
  const byName = new Map<string, { vhost: object; totals: VhostTotals }>();
  for (const vhost of vhosts) {
    let totals = vhostTotals.get(vhost);
    if (totals === undefined) {
      totals = new VhostTotals();
      vhostTotals.set(vhost, totals);
    }
    byName.set(vhost.name, { vhost, totals });
  }
  for (const { key, info } of connections) {
    const entry = byName.get(info.vhost);
    if (entry === undefined) continue;
    addBytes(key, info.recvOct ?? 0, info.sendOct ?? 0, entry.totals);
    for (const channel of info.channels?.() ?? []) addNew(channel.stats, channel.stats, entry.totals.stats);
  }
  for (const { totals } of byName.values()) totals.stats.sample(SAMPLE_INTERVAL_MS / 1000);
  let ready = 0;
  let unacked = 0;
  const values: number[] = [];
  const seeded = overviewHistories.has(broker);
  for (const vhost of vhosts) {
    let vReady = 0;
    let vUnacked = 0;
    for (const queue of vhost.queues.values()) {
      const r = queue.messageCount;
      const u = queue.unackedCount;
      vReady += r;
      vUnacked += u;
      let history = queueHistories.get(queue);
      if (history === undefined) {
        history = new History(QUEUE_SERIES, QUEUE_TIERS);
        queueHistories.set(queue, history);
        // A queue created since the previous sample had nothing then (RabbitMQ's history counts it as 0), so its
        // first interval has a rate; queues there at the first sample (recovered at start) get no such zero.
        if (seeded) history.record(timestamp - SAMPLE_INTERVAL_MS, ZEROS);
      }
      values.length = 0;
      values.push(r + u, r, u);
      counterValues(queue.stats, values);
      // Consumer capacity: 1 when consumers could take a message at once (nothing waits), 0 when all are busy.
      values.push(queue.consumerCount === 0 ? 0 : r === 0 ? 1 : 0);
      history.record(timestamp, values);
    }
    ready += vReady;
    unacked += vUnacked;
    const { totals } = byName.get(vhost.name) as { totals: VhostTotals };
    let history = vhostHistories.get(vhost);
    if (history === undefined) {
      history = new History(VHOST_SERIES, GLOBAL_TIERS);
      vhostHistories.set(vhost, history);
    }
    values.length = 0;
    values.push(vReady + vUnacked, vReady, vUnacked);
    counterValues(totals.stats, values);
    values.push(totals.recvOct, totals.sendOct);
    history.record(timestamp, values);
  }
  let overview = overviewHistories.get(broker);
  if (overview === undefined) {
    overview = new History(OVERVIEW_SERIES, GLOBAL_TIERS);
    overviewHistories.set(broker, overview);
  }
  values.length = 0;
  values.push(ready + unacked, ready, unacked);
  counterValues(broker, values);
  overview.record(timestamp, values);
}

/**
 * `message_stats` with history: MessageStats.toJSON()'s counters, each `_details` from the history when there is
 * one (rate, and samples with a msg_rates range), else the counter's own sampled rate. `ownRates`: keep the rates
 * MessageStats sampled (a queue's) rather than the history's.
 */
export function messageStatsJson(
  stats: MessageStats,
  history: History | undefined,
  range: SampleRange | undefined,
  now: number,
  ownRates: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = stats.toJSON();
  if (history === undefined || history.size === 0) return out;
  for (const name of COUNTER_SERIES) {
    const details = history.details(name, range, now);
    // With `ownRates`, the counters' own sampled rates stand (the same interval, taken from the live counters).
    if (ownRates) details.rate = (out[`${name}_details`] as { rate: number }).rate;
    out[`${name}_details`] = details;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures without a history.

/**
 * Gives every `<name>_details` in `json` that has no `samples` the samples a range asks for, drawn from what the
 * object has now: the figure `<name>` beside it and its `rate`, as a straight line back in time (RabbitMQ's web UI
 * draws a chart for each details object it is given, and cannot draw one without samples). Exchanges, channels,
 * connections, nodes and churn keep no history here; their charts show the current rate over the range. The range
 * used is msg_rates for message_stats, data_rates for *_oct, and node_stats or lengths (else any range asked) for
 * the rest.
 * Objects that came with samples (queues, vhosts, the overview) are left as they are.
 */
export function fillMissingSamples(json: unknown, ranges: Ranges, now: number): void {
  if (Object.keys(ranges).length === 0) return;
  fill(json, ranges, now, false, 0);
}

function fill(node: unknown, ranges: Ranges, now: number, inMessageStats: boolean, depth: number): void {
  if (node === null || typeof node !== 'object' || depth > 8) return;
  if (Array.isArray(node)) {
    for (const item of node) fill(item, ranges, now, inMessageStats, depth + 1);
    return;
  }
  const object = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(object)) {
    if (key.endsWith('_details') && isRateOnly(value)) {
      const name = key.slice(0, -'_details'.length);
      const figure = object[name];
      if (typeof figure !== 'number') continue;
      const range = rangeFor(name, inMessageStats, ranges);
      if (range !== undefined) Object.assign(value, straightDetails(figure, value.rate, range, now));
    } else if (value !== null && typeof value === 'object') {
      fill(value, ranges, now, inMessageStats || key === 'message_stats', depth + 1);
    }
  }
}

function isRateOnly(value: unknown): value is Details {
  return value !== null && typeof value === 'object' && typeof (value as Details).rate === 'number' && !('samples' in value);
}

function rangeFor(name: string, inMessageStats: boolean, ranges: Ranges): SampleRange | undefined {
  if (inMessageStats) return ranges.msg_rates ?? ranges.lengths ?? ranges.data_rates ?? ranges.node_stats;
  if (name.endsWith('_oct')) return ranges.data_rates ?? ranges.lengths ?? ranges.msg_rates ?? ranges.node_stats;
  return ranges.node_stats ?? ranges.lengths ?? ranges.msg_rates ?? ranges.data_rates;
}

function straightDetails(figure: number, rate: number, range: SampleRange, now: number): Omit<Details, 'rate'> {
  const incr = range.incr * 1000;
  const steps = Math.min(Math.floor(range.age / range.incr), MAX_SAMPLES_PER_ANSWER - 1);
  const first = Math.floor(now / incr) * incr;
  const samples: Array<{ sample: number; timestamp: number }> = [];
  for (let step = 0; step <= steps; step++) {
    samples.push({ sample: Math.max(0, round(figure - rate * step * range.incr)), timestamp: first - step * incr });
  }
  const oldest = samples[samples.length - 1] as { sample: number; timestamp: number };
  const span = (first - oldest.timestamp) / 1000;
  return {
    samples,
    avg: samples.reduce((sum, s) => sum + s.sample, 0) / samples.length,
    avg_rate: span === 0 ? 0 : ((samples[0] as { sample: number }).sample - oldest.sample) / span,
  };
}
