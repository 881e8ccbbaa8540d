import type pg from 'pg';
import type { AuditFilter } from '../store';

/*
 * The reads the PostgreSQL store's worker runs for the broker's thread (worker-main.ts), by name. Each returns plain
 * rows (arrays of strings, numbers, booleans, bytes) that cross the thread boundary; the broker's side turns them into
 * records (records.ts). Paging reads walk the same indexes as SQLite's: (queue_id, seq), the partial expiry index
 * (queue_id, expires_at, seq) and the partial priority index (queue_id, priority, seq).
 */

export type ReadName = keyof typeof READS;

type Args = readonly unknown[];
type Read = (client: pg.Client, args: Args) => Promise<unknown>;

const ENTRY_COLUMNS = 'e.seq, e.redelivered, e.expires_at, m.id, m.exchange, m.routing_key, m.properties, m.body';

async function rows(client: pg.Client, name: string, text: string, values: unknown[]): Promise<unknown[][]> {
  const res = await client.query({ name, text, values, rowMode: 'array' });
  return res.rows as unknown[][];
}

async function one(client: pg.Client, name: string, text: string, values: unknown[]): Promise<number> {
  const r = await rows(client, name, text, values);
  const v = r[0]?.[0];
  return v === null || v === undefined ? 0 : Number(v);
}

function auditParams(filter: AuditFilter): unknown[] {
  return [filter.since ?? null, filter.until ?? null, filter.user ?? null, filter.action ?? null, filter.vhost ?? null];
}

const AUDIT_WHERE = `WHERE ($1::float8 IS NULL OR at >= $1) AND ($2::float8 IS NULL OR at <= $2)
  AND ($3::text IS NULL OR user_name = $3) AND ($5::text IS NULL OR vhost = $5)
  AND ($4::text IS NULL OR action = $4 OR left(action, length($4) + 1) = $4 || '.')`;

const COUNTED = new Set([
  'leveret_messages', 'leveret_queue_entries', 'leveret_queues', 'leveret_exchanges', 'leveret_bindings',
  'leveret_parameters', 'leveret_delayed_messages', 'leveret_quarantined_messages', 'leveret_audit_log',
]);

/**
 * Entries picked by `where` (which ends in its ORDER BY and LIMIT) with their messages. The entries are limited in a
 * subquery first, so the join touches only that page. Written as one join, a freshly written backlog (no statistics
 * yet: autovacuum had not analysed it) was planned as a bitmap scan of every entry of the queue, a join of each to its
 * message, then a sort: 1 s for the first page of a 300,000-message queue at recovery, 9.6 s for 1,000,000.
 */
function withBodies(where: string, order: string): string {
  return `SELECT ${ENTRY_COLUMNS} FROM (SELECT seq, redelivered, expires_at, message_id FROM leveret_queue_entries ${where}) e
    JOIN leveret_messages m ON m.id = e.message_id ORDER BY e.${order}`;
}

/**
 * The reads of a queue's entries, by index: (queue_id, seq) for the plain queue, the partial priority index
 * (queue_id, priority, seq) for one level, the partial expiry index (queue_id, expires_at, seq) for deadlines.
 * Parameters: $1 queue id, $2 after seq, then limit / offset / before seq / now, and the level last.
 */
export const PAGING_SQL = {
  entries: withBodies('WHERE queue_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', 'seq'),
  levelEntries: withBodies('WHERE queue_id = $1 AND priority = $4 AND seq > $2 ORDER BY seq LIMIT $3', 'seq'),
  seqAt: 'SELECT seq FROM leveret_queue_entries WHERE queue_id = $1 AND seq > $2 ORDER BY seq LIMIT 1 OFFSET $3',
  levelSeqAt: `SELECT seq FROM leveret_queue_entries WHERE queue_id = $1 AND priority = $4 AND seq > $2
    ORDER BY seq LIMIT 1 OFFSET $3`,
  countEntries: 'SELECT count(*) FROM leveret_queue_entries WHERE queue_id = $1 AND seq > $2 AND seq < $3',
  countLevelEntries: `SELECT count(*) FROM leveret_queue_entries
    WHERE queue_id = $1 AND priority = $4 AND seq > $2 AND seq < $3`,
  nextExpiry: `SELECT expires_at FROM leveret_queue_entries
    WHERE queue_id = $1 AND expires_at > 0 AND seq > $2 ORDER BY expires_at LIMIT 1`,
  nextLevelExpiry: `SELECT expires_at FROM leveret_queue_entries
    WHERE queue_id = $1 AND expires_at > 0 AND priority = $3 AND seq > $2 ORDER BY expires_at LIMIT 1`,
  expired: withBodies(
    'WHERE queue_id = $1 AND expires_at > 0 AND expires_at <= $3 AND seq > $2 ORDER BY expires_at, seq LIMIT $4',
    'expires_at, e.seq',
  ),
  levelExpired: withBodies(
    'WHERE queue_id = $1 AND priority = $5 AND expires_at > 0 AND expires_at <= $3 AND seq > $2 ORDER BY expires_at, seq LIMIT $4',
    'expires_at, e.seq',
  ),
} as const;

type PagingRead = keyof typeof PAGING_SQL;

function paged(c: pg.Client, read: PagingRead, values: unknown[]): Promise<unknown[][]> {
  return rows(c, `lv_${read}`, PAGING_SQL[read], values);
}

function counted(c: pg.Client, read: PagingRead, values: unknown[]): Promise<number> {
  return one(c, `lv_${read}`, PAGING_SQL[read], values);
}

export const READS = {
  definitions: async (c: pg.Client): Promise<unknown[][][]> => [
    await rows(c, 'lv_all_exchanges', 'SELECT vhost, name, type, durable, auto_delete, internal, arguments FROM leveret_exchanges', []),
    await rows(c, 'lv_all_queues', 'SELECT id, vhost, name, durable, auto_delete, arguments FROM leveret_queues ORDER BY id', []),
    await rows(c, 'lv_all_bindings', 'SELECT vhost, source, destination_kind, destination, routing_key, arguments FROM leveret_bindings', []),
  ],
  access: (c: pg.Client): Promise<unknown[][][]> => readAccessRows(c),
  parameters: (c: pg.Client): Promise<unknown[][]> =>
    rows(c, 'lv_all_parameters', 'SELECT component, vhost, name, value FROM leveret_parameters', []),
  queueStats: (c: pg.Client, a: Args): Promise<unknown[][]> =>
    rows(c, 'lv_queue_stats', 'SELECT entry_count, entry_bytes, last_seq FROM leveret_queues WHERE id = $1', [a[0]]),
  entries: (c: pg.Client, a: Args): Promise<unknown[][]> =>
    a[3] === null ? paged(c, 'entries', [a[0], a[1], a[2]]) : paged(c, 'levelEntries', [a[0], a[1], a[2], a[3]]),
  seqAt: (c: pg.Client, a: Args): Promise<number> =>
    a[3] === null ? counted(c, 'seqAt', [a[0], a[1], a[2]]) : counted(c, 'levelSeqAt', [a[0], a[1], a[2], a[3]]),
  countEntries: (c: pg.Client, a: Args): Promise<number> =>
    a[3] === null ? counted(c, 'countEntries', [a[0], a[1], a[2]]) : counted(c, 'countLevelEntries', [a[0], a[1], a[2], a[3]]),
  nextExpiry: (c: pg.Client, a: Args): Promise<number> =>
    a[2] === null ? counted(c, 'nextExpiry', [a[0], a[1]]) : counted(c, 'nextLevelExpiry', [a[0], a[1], a[2]]),
  expired: (c: pg.Client, a: Args): Promise<unknown[][]> =>
    a[4] === null ? paged(c, 'expired', [a[0], a[1], a[2], a[3]]) : paged(c, 'levelExpired', [a[0], a[1], a[2], a[3], a[4]]),
  delayedByIds: (c: pg.Client, a: Args): Promise<unknown[][]> =>
    rows(c, 'lv_delayed_by_ids', `SELECT id, vhost, exchange, routing_key, properties, body, due_at
      FROM leveret_delayed_messages WHERE id = ANY($1::bigint[])`, [a[0]]),
  delayedCount: (c: pg.Client, a: Args): Promise<number> =>
    one(c, 'lv_delayed_count', 'SELECT count(*) FROM leveret_delayed_messages WHERE vhost = $1 AND exchange = $2', [a[0], a[1]]),
  quarantine: (c: pg.Client, a: Args): Promise<unknown[][]> =>
    a[1] === null
      ? rows(c, 'lv_quarantine', `SELECT id, vhost, queue, reason, at, exchange, routing_key, properties, body
          FROM leveret_quarantined_messages ORDER BY id LIMIT $1`, [a[0]])
      : rows(c, 'lv_quarantine_of_vhost', `SELECT id, vhost, queue, reason, at, exchange, routing_key, properties, body
          FROM leveret_quarantined_messages WHERE vhost = $2 ORDER BY id LIMIT $1`, [a[0], a[1]]),
  quarantineCount: (c: pg.Client, a: Args): Promise<number> =>
    a[0] === null
      ? one(c, 'lv_quarantine_count', 'SELECT count(*) FROM leveret_quarantined_messages', [])
      : one(c, 'lv_quarantine_count_of_vhost', 'SELECT count(*) FROM leveret_quarantined_messages WHERE vhost = $1', [a[0]]),
  audit: (c: pg.Client, a: Args): Promise<unknown[][]> =>
    rows(c, 'lv_audit', `SELECT id, at, user_name, source, peer, vhost, action, object_type, object_name, details, result, reason
      FROM leveret_audit_log ${AUDIT_WHERE} ORDER BY id DESC LIMIT $6`, [...auditParams(a[0] as AuditFilter), a[1]]),
  auditCount: (c: pg.Client, a: Args): Promise<number> =>
    one(c, 'lv_audit_count', `SELECT count(*) FROM leveret_audit_log ${AUDIT_WHERE}`, auditParams(a[0] as AuditFilter)),
  countRows: (c: pg.Client, a: Args): Promise<number> => {
    const table = String(a[0]);
    if (!COUNTED.has(table)) throw new Error(`not a table of the store: ${table}`);
    return one(c, `lv_count_${table}`, `SELECT count(*) FROM ${table}`, []);
  },
} satisfies Record<string, Read>;

/** vhosts, users, permissions as rows (also read without a store: readAccess in index.ts). */
export async function readAccessRows(c: pg.Client): Promise<unknown[][][]> {
  return [
    await rows(c, 'lv_all_vhosts', 'SELECT name, description, tags, default_queue_type FROM leveret_vhosts', []),
    await rows(c, 'lv_all_users', 'SELECT name, password_hash, hashing_algorithm, tags FROM leveret_users', []),
    await rows(c, 'lv_all_permissions', 'SELECT user_name, vhost, configure_re, write_re, read_re FROM leveret_permissions', []),
  ];
}
