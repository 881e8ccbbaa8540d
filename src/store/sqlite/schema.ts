import type { Database } from 'better-sqlite3';
import { readTableAt } from '../../protocol/field-table';
import { priorityOf } from '../../protocol/properties';

/*
 * The SQLite schema, as an ordered list of migrations. PRAGMA user_version holds how many have been applied;
 * PRAGMA application_id marks the file as Leveret's so a foreign SQLite file is refused instead of written into.
 *
 * Kept close to portable SQL so a PostgreSQL store can follow: booleans are 0/1 integers, lists are JSON text,
 * field tables are AMQP-encoded BLOBs (bytea), `user`, `read` and `write` are avoided as column names. The
 * SQLite-only parts are WITHOUT ROWID (an index-organized table; a plain primary key elsewhere) and the PRAGMAs.
 *
 * Never edit a released migration: append a new one.
 */

/** 'LVRT' */
export const APPLICATION_ID = 0x4c565254;

export const MIGRATIONS: readonly ((db: Database) => void)[] = [
  // 1: everything the first durable Leveret keeps.
  (db) => {
    db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      CREATE TABLE vhosts (
        name               TEXT PRIMARY KEY,
        description        TEXT NOT NULL,
        tags               TEXT NOT NULL,
        default_queue_type TEXT
      );
      CREATE TABLE users (
        name              TEXT PRIMARY KEY,
        password_hash     TEXT NOT NULL,
        hashing_algorithm TEXT NOT NULL,
        tags              TEXT NOT NULL
      );
      CREATE TABLE permissions (
        user_name    TEXT NOT NULL,
        vhost        TEXT NOT NULL,
        configure_re TEXT NOT NULL,
        write_re     TEXT NOT NULL,
        read_re      TEXT NOT NULL,
        PRIMARY KEY (user_name, vhost)
      );
      CREATE INDEX permissions_by_vhost ON permissions (vhost);
      CREATE TABLE exchanges (
        vhost       TEXT NOT NULL,
        name        TEXT NOT NULL,
        type        TEXT NOT NULL,
        durable     INTEGER NOT NULL,
        auto_delete INTEGER NOT NULL,
        internal    INTEGER NOT NULL,
        arguments   BLOB NOT NULL,
        PRIMARY KEY (vhost, name)
      );
      CREATE TABLE queues (
        id          INTEGER PRIMARY KEY,
        vhost       TEXT NOT NULL,
        name        TEXT NOT NULL,
        durable     INTEGER NOT NULL,
        auto_delete INTEGER NOT NULL,
        arguments   BLOB NOT NULL,
        last_seq    INTEGER NOT NULL DEFAULT 0,
        entry_count INTEGER NOT NULL DEFAULT 0,
        entry_bytes INTEGER NOT NULL DEFAULT 0,
        UNIQUE (vhost, name)
      );
      CREATE TABLE bindings (
        vhost            TEXT NOT NULL,
        source           TEXT NOT NULL,
        destination_kind TEXT NOT NULL,
        destination      TEXT NOT NULL,
        routing_key      TEXT NOT NULL,
        arguments_key    BLOB NOT NULL,
        arguments        BLOB NOT NULL,
        PRIMARY KEY (vhost, source, destination_kind, destination, routing_key, arguments_key)
      );
      CREATE INDEX bindings_by_destination ON bindings (vhost, destination_kind, destination);
      CREATE TABLE messages (
        id          INTEGER PRIMARY KEY,
        exchange    TEXT NOT NULL,
        routing_key TEXT NOT NULL,
        properties  BLOB NOT NULL,
        body        BLOB NOT NULL,
        refcount    INTEGER NOT NULL
      );
      CREATE TABLE queue_entries (
        queue_id    INTEGER NOT NULL,
        seq         INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        size        INTEGER NOT NULL,
        redelivered INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (queue_id, seq)
      ) WITHOUT ROWID;
    `);
  },
  // 2: runtime parameters (policies, limits, federation/shovel and global parameters); value is JSON text.
  (db) => {
    db.exec(`
      CREATE TABLE parameters (
        component TEXT NOT NULL,
        vhost     TEXT NOT NULL,
        name      TEXT NOT NULL,
        value     TEXT NOT NULL,
        PRIMARY KEY (component, vhost, name)
      ) WITHOUT ROWID;
      CREATE INDEX parameters_by_vhost ON parameters (vhost);
    `);
  },
  // 3: per-entry expiry deadlines (message TTL), and messages held by delayed-message exchanges.
  //    expires_at and due_at are ms since the epoch; expires_at 0 means never (every entry of an older file).
  //    The expiry index is partial: entries that never expire (most) cost it nothing.
  (db) => {
    db.exec(`
      ALTER TABLE queue_entries ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX queue_entries_by_expiry ON queue_entries (queue_id, expires_at) WHERE expires_at > 0;
      CREATE TABLE delayed_messages (
        id          INTEGER PRIMARY KEY,
        vhost       TEXT NOT NULL,
        exchange    TEXT NOT NULL,
        routing_key TEXT NOT NULL,
        properties  BLOB NOT NULL,
        body        BLOB NOT NULL,
        due_at      INTEGER NOT NULL
      );
      CREATE INDEX delayed_messages_by_due ON delayed_messages (due_at, id);
      CREATE INDEX delayed_messages_by_exchange ON delayed_messages (vhost, exchange);
    `);
  },
  // 4: messages set aside (quarantined) because they could not be read back or delivered; kept for operators.
  //    exchange and routing_key hold a BLOB instead of TEXT when the name is not UTF-8 (store/text.ts).
  (db) => {
    db.exec(`
      CREATE TABLE quarantined_messages (
        id          INTEGER PRIMARY KEY,
        vhost       TEXT NOT NULL,
        queue       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        at          INTEGER NOT NULL,
        exchange    TEXT NOT NULL,
        routing_key TEXT NOT NULL,
        properties  BLOB NOT NULL,
        body        BLOB NOT NULL
      );
      CREATE INDEX quarantined_messages_by_vhost ON quarantined_messages (vhost, id);
    `);
  },
  // 5: the priority level of each entry of a priority queue (NULL for every other queue), so a priority queue pages
  //    each level from its own index range instead of holding its whole backlog in memory. The index is partial:
  //    plain queues' entries cost it nothing. Entries of priority queues written by an older file get their level
  //    here, from their message's priority property capped at the queue's x-max-priority, as the queue computes it.
  (db) => {
    db.exec(`
      ALTER TABLE queue_entries ADD COLUMN priority INTEGER;
      CREATE INDEX queue_entries_by_priority ON queue_entries (queue_id, priority, seq) WHERE priority IS NOT NULL;
    `);
    const queues = db.prepare<[], { id: number; arguments: Buffer }>('SELECT id, arguments FROM queues').all();
    const entries = db.prepare<[number], { seq: number; properties: Buffer }>(
      `SELECT e.seq, m.properties FROM queue_entries e JOIN messages m ON m.id = e.message_id WHERE e.queue_id = ?`,
    );
    const setLevel = db.prepare('UPDATE queue_entries SET priority = ? WHERE queue_id = ? AND seq = ?');
    for (const q of queues) {
      const max = maxPriorityOf(q.arguments);
      if (max === undefined) continue;
      for (const e of entries.all(q.id)) {
        const priority = priorityOf(e.properties) ?? 0;
        setLevel.run(priority > max ? max : priority, q.id, e.seq);
      }
    }
  },
  // 6: the audit log: who changed which definition, user or permission, from where, when, and whether it was refused.
  //    Read newest first (by id); pruned by age (the index on at) and by count (by id).
  (db) => {
    db.exec(`
      CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        user_name   TEXT NOT NULL,
        source      TEXT NOT NULL,
        peer        TEXT NOT NULL,
        vhost       TEXT NOT NULL,
        action      TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_name TEXT NOT NULL,
        details     TEXT NOT NULL,
        result      TEXT NOT NULL,
        reason      TEXT NOT NULL
      );
      CREATE INDEX audit_log_by_at ON audit_log (at);
    `);
  },
];

/** A stored queue's x-max-priority (1..255), or undefined for a plain queue (or arguments that do not decode). */
function maxPriorityOf(blob: Buffer): number | undefined {
  let value: unknown;
  try {
    value = readTableAt(blob, 0, blob.length)['x-max-priority'];
  } catch {
    return undefined;
  }
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 255 ? n : undefined;
}

export const SCHEMA_VERSION = MIGRATIONS.length;
