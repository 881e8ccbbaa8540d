import type { MessageRecord, QueueRecord, StoredEntry } from '../store';

/*
 * A MemoryStore queue's entries: seq -> entry, the sorted seqs that page them out in order, and the entries with a
 * deadline sorted by (expiresAt, seq) so nextExpiry and loadExpired look at the earliest deadlines first. Entries
 * with a common TTL arrive in deadline order and are appended; others are inserted in place. Removed entries stay
 * in both sorted arrays until compaction. The seqs of entries enqueued with a priority level are also kept sorted
 * per level, so a priority queue pages one level without walking the others.
 */

export interface MemEntry {
  readonly seq: number;
  redelivered: boolean;
  readonly expiresAt: number;
  /** The entry's level in a priority queue; undefined for other queues' entries. */
  readonly priority: number | undefined;
  readonly message: SharedMessage;
}

export interface SharedMessage {
  readonly record: MessageRecord;
  refs: number;
}

export interface MemQueue {
  id: number;
  record: QueueRecord;
  /** seq -> entry */
  readonly entries: Map<number, MemEntry>;
  /** Sorted seqs; may hold seqs no longer in `entries` (dead), compacted when they dominate. */
  order: number[];
  dead: number;
  /** priority level -> sorted seqs of the entries enqueued with it; may hold dead seqs like `order`. */
  levels: Map<number, number[]>;
  /**
   * Entries with expiresAt > 0, sorted by (expiresAt, seq), from index expiringHead on (those before it were removed
   * from the queue); may hold removed ones further on too (not in `entries`).
   */
  expiring: MemEntry[];
  expiringHead: number;
  bytes: number;
  lastSeq: number;
}

export function newQueue(id: number, record: QueueRecord): MemQueue {
  return {
    id,
    record,
    entries: new Map(),
    order: [],
    dead: 0,
    levels: new Map(),
    expiring: [],
    expiringHead: 0,
    bytes: 0,
    lastSeq: 0,
  };
}

/** The earliest deadline of an entry after afterSeq (of that priority level when given); 0 for none. */
export function nextExpiryOf(q: MemQueue, afterSeq: number, priority?: number): number {
  const list = q.expiring;
  for (let i = skipRemovedExpiring(q); i < list.length; i++) {
    const entry = list[i]!;
    if (priority !== undefined && entry.priority !== priority) continue;
    if (entry.seq > afterSeq && q.entries.get(entry.seq) === entry) return entry.expiresAt;
  }
  return 0;
}

/** Up to limit entries after afterSeq (of that level when given) whose deadline is at or before now, earliest first. */
export function expiredOf(q: MemQueue, afterSeq: number, now: number, limit: number, priority?: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  const list = q.expiring;
  for (let i = skipRemovedExpiring(q); i < list.length; i++) {
    const entry = list[i]!;
    if (out.length >= limit || entry.expiresAt > now) break;
    if (priority !== undefined && entry.priority !== priority) continue;
    if (entry.seq > afterSeq && q.entries.get(entry.seq) === entry) out.push(storedEntry(entry));
  }
  return out;
}

/** Up to limit entries after afterSeq (of one priority level when given), in seq order. */
export function entriesOf(q: MemQueue, afterSeq: number, limit: number, priority?: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  const order = priority === undefined ? q.order : q.levels.get(priority);
  if (order === undefined) return out;
  for (let i = firstAbove(order, afterSeq); i < order.length && out.length < limit; i++) {
    const entry = q.entries.get(order[i]!);
    if (entry && (priority === undefined || entry.priority === priority)) out.push(storedEntry(entry));
  }
  return out;
}

/** The seq `offset` live entries after afterSeq (of one level when given); 0 when none. Walks dead seqs too. */
export function seqAt(q: MemQueue, afterSeq: number, offset: number, priority?: number): number {
  const order = priority === undefined ? q.order : q.levels.get(priority);
  if (order === undefined) return 0;
  let left = offset;
  for (let i = firstAbove(order, afterSeq); i < order.length; i++) {
    const entry = q.entries.get(order[i]!);
    if (entry === undefined || (priority !== undefined && entry.priority !== priority)) continue;
    if (left-- === 0) return entry.seq;
  }
  return 0;
}

/** Live entries with afterSeq < seq < beforeSeq (of one level when given). */
export function countBetween(q: MemQueue, afterSeq: number, beforeSeq: number, priority?: number): number {
  const order = priority === undefined ? q.order : q.levels.get(priority);
  if (order === undefined) return 0;
  let n = 0;
  for (let i = firstAbove(order, afterSeq); i < order.length && order[i]! < beforeSeq; i++) {
    const entry = q.entries.get(order[i]!);
    if (entry !== undefined && (priority === undefined || entry.priority === priority)) n++;
  }
  return n;
}

/** Index of the first element of the sorted array greater than seq. */
function firstAbove(order: readonly number[], seq: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function insertSorted(q: MemQueue, seq: number): void {
  const order = q.order;
  const last = order[order.length - 1];
  if (last === undefined || seq > last) {
    order.push(seq);
    return;
  }
  const at = firstAbove(order, seq);
  if (at > 0 && order[at - 1] === seq) {
    q.dead--; // a dead slot for this seq comes back to life
    return;
  }
  order.splice(at, 0, seq);
}

/** Adds seq to its priority level's sorted seqs (once). */
export function insertInLevel(q: MemQueue, priority: number, seq: number): void {
  let seqs = q.levels.get(priority);
  if (seqs === undefined) q.levels.set(priority, (seqs = []));
  const last = seqs[seqs.length - 1];
  if (last === undefined || seq > last) {
    seqs.push(seq);
    return;
  }
  const at = firstAbove(seqs, seq);
  if (at > 0 && seqs[at - 1] === seq) return;
  seqs.splice(at, 0, seq);
}

export function compact(q: MemQueue): void {
  const live: number[] = [];
  for (const seq of q.order) if (q.entries.has(seq)) live.push(seq);
  q.order = live;
  q.dead = 0;
  for (const [priority, seqs] of q.levels) {
    const kept = seqs.filter((seq) => q.entries.get(seq)?.priority === priority);
    if (kept.length === 0) q.levels.delete(priority);
    else q.levels.set(priority, kept);
  }
  q.expiring = q.expiring.filter((entry) => q.entries.get(entry.seq) === entry);
  q.expiringHead = 0;
}

/** Moves q.expiringHead past removed entries (dropping them when they are many); returns it. */
function skipRemovedExpiring(q: MemQueue): number {
  const list = q.expiring;
  let head = q.expiringHead;
  while (head < list.length && q.entries.get(list[head]!.seq) !== list[head]) head++;
  if (head > 1024 && head * 2 > list.length) {
    list.splice(0, head);
    head = 0;
  }
  q.expiringHead = head;
  return head;
}

function storedEntry(entry: MemEntry): StoredEntry {
  return {
    seq: entry.seq,
    redelivered: entry.redelivered,
    expiresAt: entry.expiresAt,
    message: entry.message.record,
  };
}

/** Inserts into q.expiring after every entry that expires no later (equal deadlines stay in seq order). */
export function insertExpiring(q: MemQueue, entry: MemEntry): void {
  const list = q.expiring;
  const last = list[list.length - 1];
  if (last === undefined || expiresBefore(last, entry)) {
    list.push(entry);
    return;
  }
  let lo = q.expiringHead;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (expiresBefore(list[mid]!, entry)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, entry);
}

function expiresBefore(a: MemEntry, b: MemEntry): boolean {
  return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.seq <= b.seq);
}
