import type { Statements, EntryRow } from './statements';
import type { StoredEntry } from '../store';
import { nameOf } from './text';

/*
 * Reads of a queue's entries with their messages: the paging read, in seq order, and the two expiry reads. Each
 * takes an optional priority level: a priority queue (x-max-priority) pages each level from its own index range.
 */

/** Up to `limit` entries of a queue (of one priority level when given) after `afterSeq`, in seq order. */
export function readEntries(st: Statements, queueId: number, afterSeq: number, limit: number, priority?: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  if (limit <= 0) return out;
  const rows = priority === undefined
    ? st.loadEntries.iterate(queueId, afterSeq, limit)
    : st.loadLevelEntries.iterate(queueId, priority, afterSeq, limit);
  for (const r of rows) out.push(entryOf(r));
  return out;
}

/** Up to `limit` entries of a queue after `afterSeq` expired at `now`, by deadline then seq, with their messages. */
export function readExpired(
  st: Statements,
  queueId: number,
  afterSeq: number,
  now: number,
  limit: number,
  priority?: number,
): StoredEntry[] {
  const out: StoredEntry[] = [];
  if (limit <= 0) return out;
  const rows = priority === undefined
    ? st.loadExpired.iterate(queueId, now, afterSeq, limit)
    : st.loadLevelExpired.iterate(queueId, priority, now, afterSeq, limit);
  for (const r of rows) out.push(entryOf(r));
  return out;
}

/** The earliest deadline among a queue's entries (of one priority level when given) after `afterSeq`; 0: none. */
export function readNextExpiry(st: Statements, queueId: number, afterSeq: number, priority?: number): number {
  const row = priority === undefined
    ? st.nextExpiry.get(queueId, afterSeq)
    : st.nextLevelExpiry.get(queueId, priority, afterSeq);
  return row?.expires_at ?? 0;
}

/** The seq of the entry `offset` places after `afterSeq` (of one level when given), on the index; 0 when none. */
export function readSeqAt(st: Statements, queueId: number, afterSeq: number, offset: number, priority?: number): number {
  const row = priority === undefined
    ? st.entrySeqAt.get(queueId, afterSeq, offset)
    : st.levelEntrySeqAt.get(queueId, priority, afterSeq, offset);
  return row?.seq ?? 0;
}

/** How many entries have afterSeq < seq < beforeSeq (of one level when given), on the index. */
export function countRange(st: Statements, queueId: number, afterSeq: number, beforeSeq: number, priority?: number): number {
  const row = priority === undefined
    ? st.countEntries.get(queueId, afterSeq, beforeSeq)
    : st.countLevelEntries.get(queueId, priority, afterSeq, beforeSeq);
  return row?.n ?? 0;
}

function entryOf(r: EntryRow): StoredEntry {
  return {
    seq: r[0],
    redelivered: r[1] === 1,
    expiresAt: r[2],
    message: { id: r[3], exchange: nameOf(r[4]), routingKey: nameOf(r[5]), properties: r[6], body: r[7] },
  };
}
