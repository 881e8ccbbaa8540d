import type Database from 'better-sqlite3';
import type { DelayedRecord } from '../store';
import { nameColumn, nameOf } from './text';

/*
 * Delayed messages (x-delayed-message exchanges) in the SqliteStore: the statements of the delayed_messages table,
 * the buffered ops (they join the group-commit batch like every other write: see group-commit.ts, ops.ts), and the
 * reads.
 *
 * Reads do not write the buffered batch first, unlike the store's other reads. The scheduler reads (loadDue, then
 * nextDue) every time its timer fires, right after removing what it delivered: hundreds of times a second under
 * load. Writing the batch at each read would commit (and fsync) each time, cut the broker's group commit into
 * small transactions, and write a short delay's put only for its removal to follow a moment later. Instead the
 * batch is an overlay on what is on disk (DelayedOverlay): buffered puts are merged into what a read returns, and
 * rows whose removal is buffered are skipped. Both sets are bounded by the batch. A buffered deleteDelayed or
 * deleteVhost would hide any number of rows, so while one is buffered the reads do write the batch first; they are
 * rare (an exchange or vhost is deleted).
 *
 * A putDelayed whose removeDelayed arrives while both are buffered is cancelled: neither reaches disk.
 */

import { DELETE_DELAYED, PUT_DELAYED, REMOVE_DELAYED, type DelayedOp, type DelayedOverlay } from '../delayed-ops';

export { DELETE_DELAYED, PUT_DELAYED, REMOVE_DELAYED, DelayedOverlay, type DelayedOp, type PutDelayedOp } from '../delayed-ops';

// ---- statements ----

type DelayedRow = [number, string, string, string | Buffer, Buffer, Buffer, number];

export interface DelayedStatements {
  maxId: Database.Statement<[], { id: number | null }>;
  put: Database.Statement;
  remove: Database.Statement;
  deleteOfExchange: Database.Statement;
  deleteOfVhost: Database.Statement;
  countOfExchange: Database.Statement<[string, string], { n: number }>;
  /** (now, limit) -> rows with due_at <= now, by due_at then id */
  due: Database.Statement<[number, number], DelayedRow>;
  /** (limit) -> the first (id, due_at) rows, by due_at then id */
  first: Database.Statement<[number], [number, number]>;
}

export function prepareDelayedStatements(db: Database.Database): DelayedStatements {
  return {
    maxId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM delayed_messages'),
    put: db.prepare(
      `INSERT INTO delayed_messages (id, vhost, exchange, routing_key, properties, body, due_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    remove: db.prepare('DELETE FROM delayed_messages WHERE id = ?'),
    deleteOfExchange: db.prepare('DELETE FROM delayed_messages WHERE vhost = ? AND exchange = ?'),
    deleteOfVhost: db.prepare('DELETE FROM delayed_messages WHERE vhost = ?'),
    countOfExchange: db.prepare<[string, string], { n: number }>(
      'SELECT COUNT(*) AS n FROM delayed_messages WHERE vhost = ? AND exchange = ?',
    ),
    due: db
      .prepare<[number, number], DelayedRow>(
        `SELECT id, vhost, exchange, routing_key, properties, body, due_at FROM delayed_messages
         WHERE due_at <= ? ORDER BY due_at, id LIMIT ?`,
      )
      .raw(true),
    first: db
      .prepare<[number], [number, number]>('SELECT id, due_at FROM delayed_messages ORDER BY due_at, id LIMIT ?')
      .raw(true),
  };
}

/** Inside the group-commit transaction: applies one delayed op; returns how many ops it wrote (0 or 1). */
export function applyDelayedOp(st: DelayedStatements, op: DelayedOp): number {
  switch (op.kind) {
    case PUT_DELAYED: {
      if (op.cancelled) return 0;
      const r = op.record;
      st.put.run(r.id, r.vhost, r.exchange, nameColumn(r.routingKey), r.properties, r.body, r.dueAt);
      return 1;
    }
    case REMOVE_DELAYED:
      st.remove.run(op.id);
      return 1;
    case DELETE_DELAYED:
      st.deleteOfExchange.run(op.vhost, op.exchange);
      return 1;
  }
}

// ---- reads (the caller has written the batch first when overlay.hidesRows) ----

/** Up to `limit` delayed messages due at `now`, by dueAt then id: those on disk and those buffered. */
export function readDue(st: DelayedStatements, overlay: DelayedOverlay, now: number, limit: number): DelayedRecord[] {
  const out: DelayedRecord[] = [];
  if (limit <= 0) return out;
  const removed = overlay.removed;
  const stored: DelayedRecord[] = [];
  for (const r of st.due.all(now, limit + removed.size)) {
    if (removed.has(r[0])) continue;
    stored.push({ id: r[0], vhost: r[1], exchange: r[2], routingKey: nameOf(r[3]), properties: r[4], body: r[5], dueAt: r[6] });
    if (stored.length === limit) break;
  }
  if (overlay.puts.size === 0) return stored;
  const buffered: DelayedRecord[] = [];
  for (const op of overlay.puts.values()) if (op.record.dueAt <= now) buffered.push(op.record);
  if (buffered.length === 0) return stored;
  buffered.sort(byDue);
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < stored.length || j < buffered.length)) {
    const a = stored[i];
    const b = buffered[j];
    if (b === undefined || (a !== undefined && byDue(a, b) <= 0)) {
      out.push(a!);
      i++;
    } else {
      out.push(b);
      j++;
    }
  }
  return out;
}

/** The smallest dueAt of the delayed messages on disk and buffered; 0 when there are none. */
export function readNextDue(st: DelayedStatements, overlay: DelayedOverlay): number {
  let next = Number.POSITIVE_INFINITY;
  const removed = overlay.removed;
  for (const [id, dueAt] of st.first.all(removed.size + 1)) {
    if (removed.has(id)) continue;
    next = dueAt;
    break;
  }
  for (const op of overlay.puts.values()) if (op.record.dueAt < next) next = op.record.dueAt;
  return next === Number.POSITIVE_INFINITY ? 0 : next;
}

function byDue(a: DelayedRecord, b: DelayedRecord): number {
  return a.dueAt - b.dueAt || a.id - b.id;
}
