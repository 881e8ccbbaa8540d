import type Database from 'better-sqlite3';
import { readTableAt, type FieldTable } from '../../protocol/field-table';
import { StoreError } from '../errors';
import { prepareAuditStatements, type AuditStatements } from './audit';
import { prepareDelayedStatements, type DelayedStatements } from './delayed';
import { describe } from './open';
import { nameOf } from './text';
import type {
  AccessDefinitions,
  BindingRecord,
  Definitions,
  ExchangeRecord,
  ParameterRecord,
  PermissionRecord,
  StoredQuarantine,
  StoredQueue,
  UserRecord,
  VhostRecord,
} from '../store';

/*
 * The SqliteStore's prepared statements, the rows its tables return, and how those rows are read back into records
 * (see store.ts).
 */

// ---- statements ----

/**
 * The prepared statements, one per query the store runs. Spelled out (rather than inferred from prepareStatements)
 * so that declaration files can name the statement types.
 */
export interface Statements {
  getMeta: Database.Statement<[string], { value: number }>;
  putMeta: Database.Statement;
  maxMessageId: Database.Statement<[], { id: number | null }>;
  allExchanges: Database.Statement;
  putExchange: Database.Statement;
  deleteExchange: Database.Statement;
  deleteBindingsOfExchange: Database.Statement;
  allQueues: Database.Statement;
  queueIds: Database.Statement<[], { id: number; vhost: string; name: string }>;
  putQueue: Database.Statement;
  deleteQueue: Database.Statement;
  deleteBindingsToQueue: Database.Statement;
  queuesOfVhost: Database.Statement<[string], { id: number }>;
  queueStats: Database.Statement<[number], { entry_count: number; entry_bytes: number; last_seq: number }>;
  addQueueDelta: Database.Statement;
  zeroQueueCounters: Database.Statement;
  allBindings: Database.Statement;
  putBinding: Database.Statement;
  deleteBinding: Database.Statement;
  allVhosts: Database.Statement;
  putVhost: Database.Statement;
  deleteVhost: Database.Statement;
  deleteExchangesOfVhost: Database.Statement;
  deleteBindingsOfVhost: Database.Statement;
  deletePermissionsOfVhost: Database.Statement;
  allUsers: Database.Statement;
  putUser: Database.Statement;
  deleteUser: Database.Statement;
  deletePermissionsOfUser: Database.Statement;
  allPermissions: Database.Statement;
  putPermission: Database.Statement;
  deletePermission: Database.Statement;
  allParameters: Database.Statement;
  putParameter: Database.Statement;
  deleteParameter: Database.Statement;
  deleteParametersOfVhost: Database.Statement;
  upsertMessage: Database.Statement;
  dropMessageIfLast: Database.Statement;
  decrementMessage: Database.Statement;
  insertEntry: Database.Statement;
  markEntry: Database.Statement;
  removeEntry: Database.Statement<[number, number], { message_id: number; size: number }>;
  loadEntries: Database.Statement<[number, number, number], EntryRow>;
  nextExpiry: Database.Statement<[number, number], { expires_at: number }>;
  loadExpired: Database.Statement<[number, number, number, number], EntryRow>;
  /** The same three reads for one priority level of a priority queue (the level is the second parameter). */
  loadLevelEntries: Database.Statement<[number, number, number, number], EntryRow>;
  nextLevelExpiry: Database.Statement<[number, number, number], { expires_at: number }>;
  loadLevelExpired: Database.Statement<[number, number, number, number, number], EntryRow>;
  /** Browse: the seq `offset` entries after a seq, and a count of a seq range, on the indexes only (no message read). */
  entrySeqAt: Database.Statement<[number, number, number], { seq: number }>;
  levelEntrySeqAt: Database.Statement<[number, number, number, number], { seq: number }>;
  countEntries: Database.Statement<[number, number, number], { n: number }>;
  countLevelEntries: Database.Statement<[number, number, number, number], { n: number }>;
  clearRefs: Database.Statement;
  collectRefs: Database.Statement;
  releaseRefs: Database.Statement;
  dropReleased: Database.Statement;
  deleteEntriesOfQueue: Database.Statement;
  quarantine: Database.Statement;
  allQuarantine: Database.Statement<[number], QuarantineRow>;
  quarantineOfVhost: Database.Statement<[string, number], QuarantineRow>;
  countQuarantine: Database.Statement<[], { n: number }>;
  countQuarantineOfVhost: Database.Statement<[string], { n: number }>;
  deleteQuarantineOfVhost: Database.Statement;
  begin: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  /** The delayed_messages table's (delayed.ts). */
  delayed: DelayedStatements;
  /** The audit_log table's (audit.ts). */
  audit: AuditStatements;
}

/** id, vhost, queue, reason, at, exchange, routing key, properties, body */
type QuarantineRow = [number, string, string, string, number, string | Buffer, string | Buffer, Buffer, Buffer];

/** seq, redelivered, expires_at, message id, exchange, routing key, properties, body */
export type EntryRow = [number, number, number, number, string | Buffer, string | Buffer, Buffer, Buffer];

export function prepareStatements(db: Database.Database): Statements {
  return {
    getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
    putMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    maxMessageId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM messages'),

    allExchanges: db.prepare('SELECT vhost, name, type, durable, auto_delete, internal, arguments FROM exchanges'),
    putExchange: db.prepare(
      `INSERT INTO exchanges (vhost, name, type, durable, auto_delete, internal, arguments) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (vhost, name) DO UPDATE SET type = excluded.type, durable = excluded.durable,
         auto_delete = excluded.auto_delete, internal = excluded.internal, arguments = excluded.arguments`,
    ),
    deleteExchange: db.prepare('DELETE FROM exchanges WHERE vhost = ? AND name = ?'),
    deleteBindingsOfExchange: db.prepare(
      `DELETE FROM bindings WHERE vhost = ? AND (source = ? OR (destination_kind = 'exchange' AND destination = ?))`,
    ),

    allQueues: db.prepare('SELECT id, vhost, name, durable, auto_delete, arguments FROM queues ORDER BY id'),
    queueIds: db.prepare<[], { id: number; vhost: string; name: string }>('SELECT id, vhost, name FROM queues'),
    putQueue: db.prepare(
      `INSERT INTO queues (id, vhost, name, durable, auto_delete, arguments) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET durable = excluded.durable, auto_delete = excluded.auto_delete,
         arguments = excluded.arguments`,
    ),
    deleteQueue: db.prepare('DELETE FROM queues WHERE id = ?'),
    deleteBindingsToQueue: db.prepare(
      `DELETE FROM bindings WHERE vhost = ? AND destination_kind = 'queue' AND destination = ?`,
    ),
    queuesOfVhost: db.prepare<[string], { id: number }>('SELECT id FROM queues WHERE vhost = ?'),
    queueStats: db.prepare<[number], { entry_count: number; entry_bytes: number; last_seq: number }>(
      'SELECT entry_count, entry_bytes, last_seq FROM queues WHERE id = ?',
    ),
    addQueueDelta: db.prepare(
      `UPDATE queues SET entry_count = entry_count + ?, entry_bytes = entry_bytes + ?,
         last_seq = CASE WHEN last_seq > ? THEN last_seq ELSE ? END WHERE id = ?`,
    ),
    zeroQueueCounters: db.prepare('UPDATE queues SET entry_count = 0, entry_bytes = 0 WHERE id = ?'),

    allBindings: db.prepare(
      'SELECT vhost, source, destination_kind, destination, routing_key, arguments FROM bindings',
    ),
    putBinding: db.prepare(
      `INSERT INTO bindings (vhost, source, destination_kind, destination, routing_key, arguments_key, arguments)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (vhost, source, destination_kind, destination, routing_key, arguments_key)
       DO UPDATE SET arguments = excluded.arguments`,
    ),
    deleteBinding: db.prepare(
      `DELETE FROM bindings WHERE vhost = ? AND source = ? AND destination_kind = ? AND destination = ?
         AND routing_key = ? AND arguments_key = ?`,
    ),

    allVhosts: db.prepare('SELECT name, description, tags, default_queue_type FROM vhosts'),
    putVhost: db.prepare(
      `INSERT INTO vhosts (name, description, tags, default_queue_type) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET description = excluded.description, tags = excluded.tags,
         default_queue_type = excluded.default_queue_type`,
    ),
    deleteVhost: db.prepare('DELETE FROM vhosts WHERE name = ?'),
    deleteExchangesOfVhost: db.prepare('DELETE FROM exchanges WHERE vhost = ?'),
    deleteBindingsOfVhost: db.prepare('DELETE FROM bindings WHERE vhost = ?'),
    deletePermissionsOfVhost: db.prepare('DELETE FROM permissions WHERE vhost = ?'),

    allUsers: db.prepare('SELECT name, password_hash, hashing_algorithm, tags FROM users'),
    putUser: db.prepare(
      `INSERT INTO users (name, password_hash, hashing_algorithm, tags) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
         hashing_algorithm = excluded.hashing_algorithm, tags = excluded.tags`,
    ),
    deleteUser: db.prepare('DELETE FROM users WHERE name = ?'),
    deletePermissionsOfUser: db.prepare('DELETE FROM permissions WHERE user_name = ?'),

    allPermissions: db.prepare('SELECT user_name, vhost, configure_re, write_re, read_re FROM permissions'),
    putPermission: db.prepare(
      `INSERT INTO permissions (user_name, vhost, configure_re, write_re, read_re) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_name, vhost) DO UPDATE SET configure_re = excluded.configure_re,
         write_re = excluded.write_re, read_re = excluded.read_re`,
    ),
    deletePermission: db.prepare('DELETE FROM permissions WHERE user_name = ? AND vhost = ?'),

    allParameters: db.prepare('SELECT component, vhost, name, value FROM parameters'),
    putParameter: db.prepare(
      `INSERT INTO parameters (component, vhost, name, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (component, vhost, name) DO UPDATE SET value = excluded.value`,
    ),
    deleteParameter: db.prepare('DELETE FROM parameters WHERE component = ? AND vhost = ? AND name = ?'),
    deleteParametersOfVhost: db.prepare('DELETE FROM parameters WHERE vhost = ?'),

    upsertMessage: db.prepare(
      `INSERT INTO messages (id, exchange, routing_key, properties, body, refcount) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET refcount = messages.refcount + excluded.refcount`,
    ),
    dropMessageIfLast: db.prepare('DELETE FROM messages WHERE id = ? AND refcount <= 1'),
    decrementMessage: db.prepare('UPDATE messages SET refcount = refcount - 1 WHERE id = ?'),
    insertEntry: db.prepare(
      `INSERT INTO queue_entries (queue_id, seq, message_id, size, redelivered, expires_at, priority)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (queue_id, seq) DO NOTHING`,
    ),
    markEntry: db.prepare('UPDATE queue_entries SET redelivered = 1 WHERE queue_id = ? AND seq = ?'),
    removeEntry: db.prepare<[number, number], { message_id: number; size: number }>(
      'DELETE FROM queue_entries WHERE queue_id = ? AND seq = ? RETURNING message_id, size',
    ),
    loadEntries: db
      .prepare<[number, number, number], EntryRow>(
        `SELECT e.seq, e.redelivered, e.expires_at, m.id, m.exchange, m.routing_key, m.properties, m.body
         FROM queue_entries e JOIN messages m ON m.id = e.message_id
         WHERE e.queue_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
      )
      .raw(true),
    // Both expiry reads walk the partial index queue_entries_by_expiry (queue_id, expires_at, then seq): the
    // `expires_at > 0` term is what lets the planner use it.
    nextExpiry: db.prepare<[number, number], { expires_at: number }>(
      `SELECT expires_at FROM queue_entries
       WHERE queue_id = ? AND expires_at > 0 AND seq > ? ORDER BY expires_at LIMIT 1`,
    ),
    loadExpired: db
      .prepare<[number, number, number, number], EntryRow>(
        `SELECT e.seq, e.redelivered, e.expires_at, m.id, m.exchange, m.routing_key, m.properties, m.body
         FROM queue_entries e JOIN messages m ON m.id = e.message_id
         WHERE e.queue_id = ? AND e.expires_at > 0 AND e.expires_at <= ? AND e.seq > ?
         ORDER BY e.expires_at, e.seq LIMIT ?`,
      )
      .raw(true),
    // One level of a priority queue: the paging read walks the partial index queue_entries_by_priority
    // (queue_id, priority, seq), named because without statistics the planner would take the primary key and step
    // over every other level's entries; the expiry reads filter the expiry index's rows by level.
    entrySeqAt: db.prepare('SELECT seq FROM queue_entries WHERE queue_id = ? AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?'),
    levelEntrySeqAt: db.prepare(
      `SELECT seq FROM queue_entries INDEXED BY queue_entries_by_priority
       WHERE queue_id = ? AND priority = ? AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?`,
    ),
    countEntries: db.prepare('SELECT count(*) AS n FROM queue_entries WHERE queue_id = ? AND seq > ? AND seq < ?'),
    countLevelEntries: db.prepare(
      `SELECT count(*) AS n FROM queue_entries INDEXED BY queue_entries_by_priority
       WHERE queue_id = ? AND priority = ? AND seq > ? AND seq < ?`,
    ),
    loadLevelEntries: db
      .prepare<[number, number, number, number], EntryRow>(
        `SELECT e.seq, e.redelivered, e.expires_at, m.id, m.exchange, m.routing_key, m.properties, m.body
         FROM queue_entries e INDEXED BY queue_entries_by_priority JOIN messages m ON m.id = e.message_id
         WHERE e.queue_id = ? AND e.priority = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
      )
      .raw(true),
    nextLevelExpiry: db.prepare<[number, number, number], { expires_at: number }>(
      `SELECT expires_at FROM queue_entries
       WHERE queue_id = ? AND expires_at > 0 AND priority = ? AND seq > ? ORDER BY expires_at LIMIT 1`,
    ),
    loadLevelExpired: db
      .prepare<[number, number, number, number, number], EntryRow>(
        `SELECT e.seq, e.redelivered, e.expires_at, m.id, m.exchange, m.routing_key, m.properties, m.body
         FROM queue_entries e JOIN messages m ON m.id = e.message_id
         WHERE e.queue_id = ? AND e.priority = ? AND e.expires_at > 0 AND e.expires_at <= ? AND e.seq > ?
         ORDER BY e.expires_at, e.seq LIMIT ?`,
      )
      .raw(true),

    // Dropping every entry of a queue: count references per message in a temp table, release them, then delete.
    clearRefs: db.prepare('DELETE FROM temp_message_refs'),
    collectRefs: db.prepare(
      `INSERT INTO temp_message_refs (message_id, n)
       SELECT message_id, COUNT(*) FROM queue_entries WHERE queue_id = ? GROUP BY message_id`,
    ),
    releaseRefs: db.prepare(
      `UPDATE messages SET refcount = refcount - (SELECT n FROM temp_message_refs r WHERE r.message_id = messages.id)
       WHERE id IN (SELECT message_id FROM temp_message_refs)`,
    ),
    dropReleased: db.prepare(
      'DELETE FROM messages WHERE refcount <= 0 AND id IN (SELECT message_id FROM temp_message_refs)',
    ),
    deleteEntriesOfQueue: db.prepare('DELETE FROM queue_entries WHERE queue_id = ?'),

    quarantine: db.prepare(
      `INSERT INTO quarantined_messages (vhost, queue, reason, at, exchange, routing_key, properties, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    allQuarantine: db
      .prepare<[number], QuarantineRow>(
        `SELECT id, vhost, queue, reason, at, exchange, routing_key, properties, body FROM quarantined_messages
         ORDER BY id LIMIT ?`,
      )
      .raw(true),
    quarantineOfVhost: db
      .prepare<[string, number], QuarantineRow>(
        `SELECT id, vhost, queue, reason, at, exchange, routing_key, properties, body FROM quarantined_messages
         WHERE vhost = ? ORDER BY id LIMIT ?`,
      )
      .raw(true),
    countQuarantine: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM quarantined_messages'),
    countQuarantineOfVhost: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM quarantined_messages WHERE vhost = ?'),
    deleteQuarantineOfVhost: db.prepare('DELETE FROM quarantined_messages WHERE vhost = ?'),

    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    delayed: prepareDelayedStatements(db),
    audit: prepareAuditStatements(db),
  };
}

// ---- rows ----

interface ExchangeRow {
  vhost: string;
  name: string;
  type: string;
  durable: number;
  auto_delete: number;
  internal: number;
  arguments: Buffer;
}
interface QueueRow {
  id: number;
  vhost: string;
  name: string;
  durable: number;
  auto_delete: number;
  arguments: Buffer;
}
interface BindingRow {
  vhost: string;
  source: string;
  destination_kind: string;
  destination: string;
  routing_key: string;
  arguments: Buffer;
}
interface VhostRow {
  name: string;
  description: string;
  tags: string;
  default_queue_type: string | null;
}
interface UserRow {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  tags: string;
}
interface ParameterRow {
  component: string;
  vhost: string;
  name: string;
  value: string;
}
interface PermissionRow {
  user_name: string;
  vhost: string;
  configure_re: string;
  write_re: string;
  read_re: string;
}

// ---- reading definitions ----

/** Every exchange, queue and binding. Throws STORE_CORRUPT if stored arguments cannot be decoded. */
export function readDefinitions(st: Statements, file: string): Definitions {
  const exchanges: ExchangeRecord[] = [];
  for (const r of st.allExchanges.iterate() as Iterable<ExchangeRow>) {
    exchanges.push({
      vhost: r.vhost,
      name: r.name,
      type: r.type,
      durable: r.durable === 1,
      autoDelete: r.auto_delete === 1,
      internal: r.internal === 1,
      arguments: decodeTable(file, r.arguments, `exchange '${r.name}'`),
    });
  }
  const queues: StoredQueue[] = [];
  for (const r of st.allQueues.iterate() as Iterable<QueueRow>) {
    queues.push({
      id: r.id,
      vhost: r.vhost,
      name: r.name,
      durable: r.durable === 1,
      autoDelete: r.auto_delete === 1,
      arguments: decodeTable(file, r.arguments, `queue '${r.name}'`),
    });
  }
  const bindings: BindingRecord[] = [];
  for (const r of st.allBindings.iterate() as Iterable<BindingRow>) {
    bindings.push({
      vhost: r.vhost,
      source: r.source,
      destination: r.destination,
      destinationKind: r.destination_kind === 'exchange' ? 'exchange' : 'queue',
      routingKey: r.routing_key,
      arguments: decodeTable(file, r.arguments, `binding of '${r.destination}'`),
    });
  }
  return { exchanges, queues, bindings };
}

/** Every vhost, user and permission. */
export function readAccess(st: Statements): AccessDefinitions {
  const vhosts: VhostRecord[] = [];
  for (const r of st.allVhosts.iterate() as Iterable<VhostRow>) {
    const v: VhostRecord = { name: r.name, description: r.description, tags: parseTags(r.tags) };
    vhosts.push(r.default_queue_type === null ? v : { ...v, defaultQueueType: r.default_queue_type });
  }
  const users: UserRecord[] = [];
  for (const r of st.allUsers.iterate() as Iterable<UserRow>) {
    users.push({
      name: r.name,
      passwordHash: r.password_hash,
      hashingAlgorithm: r.hashing_algorithm,
      tags: parseTags(r.tags),
    });
  }
  const permissions: PermissionRecord[] = [];
  for (const r of st.allPermissions.iterate() as Iterable<PermissionRow>) {
    permissions.push({
      user: r.user_name,
      vhost: r.vhost,
      configure: r.configure_re,
      write: r.write_re,
      read: r.read_re,
    });
  }
  return { vhosts, users, permissions };
}

/** Every runtime parameter. Throws STORE_CORRUPT if a value is not JSON. */
export function readParameters(st: Statements, file: string): ParameterRecord[] {
  const out: ParameterRecord[] = [];
  for (const r of st.allParameters.iterate() as Iterable<ParameterRow>) {
    let value: unknown;
    try {
      value = JSON.parse(r.value);
    } catch (err) {
      const text = `database file ${file}: value of parameter ${r.component} '${r.name}' in vhost '${r.vhost}' ` +
        `is not JSON: ${describe(err)}`;
      throw new StoreError('STORE_CORRUPT', text, { cause: err });
    }
    out.push({ component: r.component, vhost: r.vhost, name: r.name, value });
  }
  return out;
}

/** Up to `limit` quarantined messages, oldest first, of one vhost when given. */
export function readQuarantine(st: Statements, limit: number, vhost: string | undefined): StoredQuarantine[] {
  const rows = vhost === undefined ? st.allQuarantine.all(limit) : st.quarantineOfVhost.all(vhost, limit);
  return rows.map((r) => ({
    id: r[0],
    vhost: r[1],
    queue: r[2],
    reason: r[3],
    at: r[4],
    exchange: nameOf(r[5]),
    routingKey: nameOf(r[6]),
    properties: r[7],
    body: r[8],
  }));
}

function decodeTable(file: string, blob: Buffer, what: string): FieldTable {
  try {
    return readTableAt(blob, 0, blob.length);
  } catch (err) {
    const text = `database file ${file}: arguments of ${what} cannot be decoded: ${describe(err)}`;
    throw new StoreError('STORE_CORRUPT', text, { cause: err });
  }
}

function parseTags(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}
