import type { FieldTable, FieldValue } from '../protocol/field-table';

/*
 * Message de-duplication, LavinMQ's way (src/lavinmq/deduplication.cr and its queue/exchange arguments): a queue or
 * exchange declared with x-message-deduplication = true drops a message whose de-duplication key it has seen
 * recently.
 *
 *  - x-cache-size: how many keys are remembered (non-negative integer; absent: 128, LavinMQ's default). When full,
 *    the oldest remembered key is forgotten (insertion order); seeing a remembered key again does not refresh it.
 *  - x-cache-ttl: how long a key is remembered, in ms (non-negative integer; absent: until evicted). A message's
 *    own x-cache-ttl header (an integer) overrides it for that message's key (dedupTtlOverride).
 *  - x-deduplication-header: the header that holds the key (a string; absent: 'x-deduplication-header').
 *
 * Expiry is lazy: an expired key is dropped when it is looked up, or evicted like any other; no timers.
 */

export const DEFAULT_DEDUP_HEADER = 'x-deduplication-header';
/** LavinMQ's cache size when x-cache-size is absent. */
export const DEFAULT_DEDUP_CACHE_SIZE = 128;

export interface DedupSettings {
  /** Keys remembered at most; 0 remembers none (nothing is ever a duplicate). */
  readonly cacheSize: number;
  /** How long a key is remembered, in ms; undefined: until evicted. */
  readonly ttlMs: number | undefined;
  /** The header holding the key. */
  readonly header: string;
}

/** The keys seen recently, with when each stops counting (Infinity: never). */
export class DedupCache {
  private readonly seen = new Map<string, number>();

  constructor(
    readonly size: number,
    readonly ttlMs: number | undefined,
  ) {}

  /**
   * True when `key` was seen and has not expired at `now` (ms). Otherwise remembers it, for `ttlOverride` ms when
   * given, else for the cache's ttlMs (undefined: until evicted), and returns false.
   */
  isDuplicate(key: string, now: number, ttlOverride?: number): boolean {
    const until = this.seen.get(key);
    if (until !== undefined) {
      if (until > now) return true;
      this.seen.delete(key);
    }
    if (this.size <= 0) return false;
    if (this.seen.size >= this.size) {
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    const ttl = ttlOverride ?? this.ttlMs;
    this.seen.set(key, ttl === undefined ? Number.POSITIVE_INFINITY : now + ttl);
    return false;
  }

  /** Keys remembered (expired ones included until they are looked up or evicted). */
  get count(): number {
    return this.seen.size;
  }

  clear(): void {
    this.seen.clear();
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The de-duplication settings of queue or exchange arguments: undefined when x-message-deduplication is absent or
 * false; an error text (LavinMQ's, for a 406 PRECONDITION_FAILED) when an argument has the wrong type or range.
 */
export function parseDedupArguments(args: FieldTable): DedupSettings | undefined | string {
  if (!hasOwn.call(args, 'x-message-deduplication')) return undefined;
  const enabled = args['x-message-deduplication'];
  if (typeof enabled !== 'boolean') return 'x-message-deduplication header not a boolean';
  if (!enabled) return undefined;
  const cacheSize = nonNegativeInteger(args, 'x-cache-size');
  if (typeof cacheSize === 'string') return cacheSize;
  const ttlMs = nonNegativeInteger(args, 'x-cache-ttl');
  if (typeof ttlMs === 'string') return ttlMs;
  let header = DEFAULT_DEDUP_HEADER;
  if (hasOwn.call(args, 'x-deduplication-header')) {
    const value = args['x-deduplication-header'];
    if (typeof value !== 'string') return 'x-deduplication-header header not a string';
    header = value;
  }
  return { cacheSize: cacheSize ?? DEFAULT_DEDUP_CACHE_SIZE, ttlMs, header };
}

/** An absent argument is undefined; a non-negative integer its value; anything else LavinMQ's error text. */
function nonNegativeInteger(args: FieldTable, name: string): number | undefined | string {
  if (!hasOwn.call(args, name)) return undefined;
  const n = integerOf(args[name]);
  if (n === undefined) return `${name} header not an integer`;
  if (n < 0) return `${name} header less than minimum value 0`;
  return n;
}

function integerOf(value: FieldValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }
  return undefined;
}

/**
 * The de-duplication key of a message: the value of its `headerName` header when that is a string, a number, a
 * bigint or a byte array (numbers as their decimal text; a byte array as its text when it is valid UTF-8, else a
 * hex form that no string header can collide with by accident); otherwise its message-id; otherwise undefined
 * (the message is never a duplicate). LavinMQ itself reads only the header: pass messageId undefined to match it.
 */
export function dedupKey(
  headers: FieldTable | undefined,
  messageId: string | undefined,
  headerName: string,
): string | undefined {
  if (headers !== undefined && hasOwn.call(headers, headerName)) {
    const value = headers[headerName];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    if (Buffer.isBuffer(value)) {
      const text = value.toString('utf8');
      return Buffer.byteLength(text, 'utf8') === value.length && Buffer.from(text, 'utf8').equals(value)
        ? text
        : `\u0000x${value.toString('hex')}`;
    }
  }
  return messageId;
}

/** A message's own x-cache-ttl header (ms), which overrides the cache's TTL for its key; undefined when none. */
export function dedupTtlOverride(headers: FieldTable | undefined): number | undefined {
  if (headers === undefined || !hasOwn.call(headers, 'x-cache-ttl')) return undefined;
  const n = integerOf(headers['x-cache-ttl']);
  return n !== undefined && n >= 0 ? n : undefined;
}
