import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { readTableAt, encodeTable, type FieldTable } from '../protocol/field-table';
import { StoreError } from './errors';
import { canonicalArgumentsKey } from './keys';
import { encodeParameterValue } from './parameter-value';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';
import type {
  AccessDefinitions,
  BindingRecord,
  CommitListener,
  Definitions,
  ExchangeRecord,
  MessageRecord,
  ParameterRecord,
  PermissionRecord,
  QueueRecord,
  QueueStats,
  Store,
  StoredEntry,
  StoredQueue,
  UserRecord,
  VhostRecord,
} from './store';

/*
 * SqliteStore: one SQLite file (WAL) per data directory, group commit.
 *
 * Writes are buffered in memory as ops, in call order. One transaction applies them all: on the next setImmediate
 * (so the writes of one event-loop turn share one commit), or at once when the buffer reaches batchLimit. After
 * COMMIT returns (fsync'd with synchronous=FULL, the default), afterCommit() listeners registered up to that batch are
 * called in order: directly when the batch ran from setImmediate, on a microtask when it ran inside a store call
 * (batchLimit reached, or a read that had to flush first), so a caller is never re-entered.
 *
 * An enqueue whose remove arrives while both are still buffered is cancelled: neither reaches disk, and a body that
 * no live enqueue of the batch references is not written (RabbitMQ's msg_store does the same for a write whose
 * remove came first). A markDelivered of a buffered enqueue sets the flag on the insert; one whose remove follows in
 * the same batch is dropped.
 *
 * Reads (loadDefinitions, loadAccess, loadParameters, loadEntries, queueStats, purge) flush the buffer synchronously first, so they
 * see every earlier write. They are start-up, paging and management paths, not per-message ones.
 *
 * Message bodies are stored once (messages, with a refcount of the entries that point at them) however many queues
 * hold them; queue_entries holds (queue, seq) -> message. Each queue row carries its entry count, byte total and
 * last seq, updated once per queue per batch, so queueStats is one row read even with millions of entries.
 *
 * The data directory is locked by the database file itself: locking_mode=EXCLUSIVE plus a write transaction at open
 * keeps an OS lock on leveret.db for the life of the connection (released by the kernel on kill -9). A pid file
 * next to it only serves the error message; an in-process registry catches a second open in the same process.
 *
 * Failure: if a batch fails (disk full, I/O error), it stays buffered and is retried after a pause; its listeners
 * wait, so nothing unwritten is ever confirmed. Reads and flush() report the error as StoreError STORE_IO.
 */

export interface SqliteStoreOptions {
  dataDir: string;
  /** 'fsync' (default): synchronous=FULL, a commit is on disk when listeners run. 'relaxed': synchronous=NORMAL
   *  (WAL): a commit survives a process crash but may be lost with the machine. */
  durability?: 'fsync' | 'relaxed';
  logger?: Logger;
  /** Buffered ops that trigger an immediate batch (default 10,000). */
  batchLimit?: number;
}

/** Counters about group commit, for tests and metrics. */
export interface SqliteStoreCounters {
  /** Transactions committed by group commit (not counting open/migrations). */
  commits: number;
  /** Ops written by those transactions (cancelled pairs not included). */
  opsWritten: number;
  /** Enqueue+remove pairs cancelled before reaching disk. */
  cancelled: number;
  /** Size of the largest batch committed. */
  largestBatch: number;
}

export const DB_FILE = 'leveret.db';
/** How often, and how many pages at most, free space is given back (8192 pages of 4 KiB = 32 MiB). */
const RECLAIM_INTERVAL_MS = 5_000;
const RECLAIM_PAGES_PER_TICK = 8192;
export const PID_FILE = 'leveret.pid';
const DEFAULT_BATCH_LIMIT = 10_000;
const RETRY_MS = 1000;

/** Data directories held by a SqliteStore of this process (realpath). */
const openDirs = new Set<string>();

// ---- buffered ops ----

const ENQUEUE = 1;
const MARK = 2;
const REMOVE = 3;
const PUT_EXCHANGE = 4;
const DELETE_EXCHANGE = 5;
const PUT_QUEUE = 6;
const DELETE_QUEUE = 7;
const PUT_BINDING = 8;
const DELETE_BINDING = 9;
const PUT_VHOST = 10;
const DELETE_VHOST = 11;
const PUT_USER = 12;
const DELETE_USER = 13;
const PUT_PERMISSION = 14;
const DELETE_PERMISSION = 15;
const PUT_PARAMETER = 16;
const DELETE_PARAMETER = 17;

interface PendingMessage {
  readonly record: MessageRecord;
  /** Live (not cancelled) enqueues of this batch that reference it. */
  live: number;
  /** Written in the transaction being applied. */
  written: boolean;
}

interface EnqueueOp {
  readonly kind: typeof ENQUEUE;
  readonly queueId: number;
  readonly seq: number;
  readonly message: PendingMessage;
  redelivered: boolean;
  cancelled: boolean;
}

interface MarkOp {
  readonly kind: typeof MARK;
  readonly queueId: number;
  readonly seq: number;
  cancelled: boolean;
}

type EntryOp = EnqueueOp | MarkOp;

type Op =
  | EntryOp
  | { readonly kind: typeof REMOVE; readonly queueId: number; readonly seq: number }
  | { readonly kind: typeof PUT_EXCHANGE; readonly record: ExchangeRecord }
  | { readonly kind: typeof DELETE_EXCHANGE; readonly vhost: string; readonly name: string }
  | { readonly kind: typeof PUT_QUEUE; readonly id: number; readonly record: QueueRecord }
  | { readonly kind: typeof DELETE_QUEUE; readonly id: number; readonly vhost: string; readonly name: string }
  | { readonly kind: typeof PUT_BINDING; readonly record: BindingRecord }
  | { readonly kind: typeof DELETE_BINDING; readonly record: BindingRecord }
  | { readonly kind: typeof PUT_VHOST; readonly record: VhostRecord }
  | { readonly kind: typeof DELETE_VHOST; readonly name: string }
  | { readonly kind: typeof PUT_USER; readonly record: UserRecord }
  | { readonly kind: typeof DELETE_USER; readonly name: string }
  | { readonly kind: typeof PUT_PERMISSION; readonly record: PermissionRecord }
  | { readonly kind: typeof DELETE_PERMISSION; readonly user: string; readonly vhost: string }
  | {
      readonly kind: typeof PUT_PARAMETER;
      readonly component: string;
      readonly vhost: string;
      readonly name: string;
      /** The value's JSON text, made at put time (a later change to the value does not reach the store). */
      readonly json: string;
    }
  | { readonly kind: typeof DELETE_PARAMETER; readonly component: string; readonly vhost: string; readonly name: string };

interface QueueDelta {
  count: number;
  bytes: number;
  lastSeq: number;
}

type FlushMode = 'turn' | 'limit' | 'read' | 'flush' | 'retry';

// ---- statements ----

function prepareStatements(db: Database.Database) {
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
      `INSERT INTO queue_entries (queue_id, seq, message_id, size, redelivered) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (queue_id, seq) DO NOTHING`,
    ),
    markEntry: db.prepare('UPDATE queue_entries SET redelivered = 1 WHERE queue_id = ? AND seq = ?'),
    removeEntry: db.prepare<[number, number], { message_id: number; size: number }>(
      'DELETE FROM queue_entries WHERE queue_id = ? AND seq = ? RETURNING message_id, size',
    ),
    loadEntries: db
      .prepare<[number, number, number], [number, number, number, string, string, Buffer, Buffer]>(
        `SELECT e.seq, e.redelivered, m.id, m.exchange, m.routing_key, m.properties, m.body
         FROM queue_entries e JOIN messages m ON m.id = e.message_id
         WHERE e.queue_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?`,
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

    begin: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

export class SqliteStore implements Store {
  /** Opens (creating if needed) the store in dataDir and locks the directory. Synchronous. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const dir = path.resolve(options.dataDir);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreError('STORE_UNREADABLE', `data directory ${dir} cannot be created: ${describe(err)}`, {
        cause: err,
      });
    }
    let realDir: string;
    try {
      realDir = fs.realpathSync(dir);
      if (!fs.statSync(realDir).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw new StoreError('STORE_UNREADABLE', `data directory ${dir} cannot be used: ${describe(err)}`, {
        cause: err,
      });
    }
    if (openDirs.has(realDir)) throw lockedError(realDir, process.pid);

    const file = path.join(realDir, DB_FILE);
    const fileStat = statOrNull(file);
    if (fileStat && !fileStat.isFile()) {
      throw new StoreError('STORE_UNREADABLE', `database file ${file} is not a regular file`);
    }

    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 0 });
    } catch (err) {
      throw classifyOpenError(err, file, realDir);
    }
    try {
      // EXCLUSIVE before the first access: the connection keeps its OS locks (and WAL uses no shared memory);
      // the write transaction takes the exclusive lock now, so a second broker fails here and not on first write.
      db.pragma('locking_mode = EXCLUSIVE');
      // Freed pages go back to the file system a slice at a time (reclaimSpace). The mode can only be chosen before
      // the file's first page is written (switching to WAL writes it), so only new files get it.
      if (fileStat === null) db.pragma('auto_vacuum = INCREMENTAL');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new StoreError('STORE_UNREADABLE', `database file ${file} cannot use WAL (got ${String(mode)})`);
      }
      db.exec('BEGIN IMMEDIATE');
      db.exec('COMMIT');
      db.pragma(`synchronous = ${options.durability === 'relaxed' ? 'NORMAL' : 'FULL'}`);
      db.pragma('journal_size_limit = 67108864');
      migrate(db, file);
      db.exec('CREATE TEMP TABLE temp_message_refs (message_id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    } catch (err) {
      db.close();
      throw err instanceof StoreError ? err : classifyOpenError(err, file, realDir);
    }

    try {
      fs.writeFileSync(path.join(realDir, PID_FILE), `${process.pid}\n`);
    } catch (err) {
      options.logger?.warn({ err, dir }, 'cannot write pid file');
    }
    openDirs.add(realDir);
    const store = new SqliteStore(db, realDir, file, options);
    options.logger?.info(
      { dataDir: realDir, schemaVersion: SCHEMA_VERSION, durability: options.durability ?? 'fsync' },
      'store opened',
    );
    return store;
  }

  private readonly st: Statements;
  private readonly logger: Logger | undefined;
  private readonly batchLimit: number;

  /** (vhost \0 name) -> queue id, and the reverse, for every stored queue. */
  private readonly queueIdByName = new Map<string, number>();
  private readonly queueNameById = new Map<number, { vhost: string; name: string }>();
  private nextQueueIdValue: number;
  private lastMessageId: number;
  private persistedMessageId: number;

  // The batch being buffered.
  private ops: Op[] = [];
  private listeners: CommitListener[] = [];
  private tokens: number[] = [];
  /** queueId -> seq -> the buffered enqueue or mark of that entry */
  private entryOps = new Map<number, Map<number, EntryOp>>();
  private pendingMessages = new Map<number, PendingMessage>();

  // Committed listeners waiting to be called.
  private committedListeners: CommitListener[] = [];
  private committedTokens: number[] = [];
  private drainQueued = false;

  private immediate: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private readonly counterValues: SqliteStoreCounters = { commits: 0, opsWritten: 0, cancelled: 0, largestBatch: 0 };

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.flushNow('turn');
  };
  private readonly onRetry = (): void => {
    this.retryTimer = undefined;
    this.flushNow('retry');
  };
  private readonly drainCommitted = (): void => {
    this.drainQueued = false;
    this.callCommitted();
  };

  private readonly reclaimTimer: NodeJS.Timeout;

  private constructor(
    private readonly db: Database.Database,
    readonly dataDir: string,
    readonly file: string,
    options: SqliteStoreOptions,
  ) {
    this.st = prepareStatements(db);
    this.logger = options.logger;
    this.batchLimit = Math.max(1, options.batchLimit ?? DEFAULT_BATCH_LIMIT);
    let maxQueueId = 0;
    for (const row of this.st.queueIds.iterate()) {
      this.queueIdByName.set(key(row.vhost, row.name), row.id);
      this.queueNameById.set(row.id, { vhost: row.vhost, name: row.name });
      if (row.id > maxQueueId) maxQueueId = row.id;
    }
    this.nextQueueIdValue = maxQueueId + 1;
    const persisted = this.st.getMeta.get('last_message_id')?.value ?? 0;
    const maxId = this.st.maxMessageId.get()?.id ?? 0;
    this.lastMessageId = Math.max(persisted, maxId);
    this.persistedMessageId = this.lastMessageId;
    this.reclaimTimer = setInterval(() => this.reclaimSpace(RECLAIM_PAGES_PER_TICK), RECLAIM_INTERVAL_MS);
    this.reclaimTimer.unref();
  }

  /**
   * Returns up to `maxPages` free pages to the file system (the file shrinks after a backlog drains). Bounded so
   * that one call blocks the event loop only briefly; a no-op for files created without incremental auto-vacuum.
   * Returns how many pages were free before the call.
   */
  reclaimSpace(maxPages: number): number {
    if (this.closed) return 0;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    if (free > 0) this.db.pragma(`incremental_vacuum(${Math.min(free, maxPages)})`);
    return free;
  }

  // ---- definitions ----

  loadDefinitions(): Definitions {
    this.flushNow('read');
    const exchanges: ExchangeRecord[] = [];
    for (const r of this.st.allExchanges.iterate() as Iterable<ExchangeRow>) {
      exchanges.push({
        vhost: r.vhost,
        name: r.name,
        type: r.type,
        durable: r.durable === 1,
        autoDelete: r.auto_delete === 1,
        internal: r.internal === 1,
        arguments: this.decodeTable(r.arguments, `exchange '${r.name}'`),
      });
    }
    const queues: StoredQueue[] = [];
    for (const r of this.st.allQueues.iterate() as Iterable<QueueRow>) {
      queues.push({
        id: r.id,
        vhost: r.vhost,
        name: r.name,
        durable: r.durable === 1,
        autoDelete: r.auto_delete === 1,
        arguments: this.decodeTable(r.arguments, `queue '${r.name}'`),
      });
    }
    const bindings: BindingRecord[] = [];
    for (const r of this.st.allBindings.iterate() as Iterable<BindingRow>) {
      bindings.push({
        vhost: r.vhost,
        source: r.source,
        destination: r.destination,
        destinationKind: r.destination_kind === 'exchange' ? 'exchange' : 'queue',
        routingKey: r.routing_key,
        arguments: this.decodeTable(r.arguments, `binding of '${r.destination}'`),
      });
    }
    return { exchanges, queues, bindings };
  }

  putExchange(record: ExchangeRecord): void {
    this.push({ kind: PUT_EXCHANGE, record });
  }

  deleteExchange(vhost: string, name: string): void {
    this.push({ kind: DELETE_EXCHANGE, vhost, name });
  }

  putQueue(record: QueueRecord): number {
    this.assertOpen();
    const k = key(record.vhost, record.name);
    let id = this.queueIdByName.get(k);
    if (id === undefined) {
      id = this.nextQueueIdValue++;
      this.queueIdByName.set(k, id);
      this.queueNameById.set(id, { vhost: record.vhost, name: record.name });
    }
    this.push({ kind: PUT_QUEUE, id, record });
    return id;
  }

  deleteQueue(vhost: string, name: string): void {
    this.assertOpen();
    const k = key(vhost, name);
    const id = this.queueIdByName.get(k);
    if (id !== undefined) {
      this.queueIdByName.delete(k);
      this.queueNameById.delete(id);
      this.cancelBufferedEntries(id);
    }
    this.push({ kind: DELETE_QUEUE, id: id ?? 0, vhost, name });
  }

  putBinding(record: BindingRecord): void {
    this.push({ kind: PUT_BINDING, record });
  }

  deleteBinding(record: BindingRecord): void {
    this.push({ kind: DELETE_BINDING, record });
  }

  // ---- users, vhosts, permissions ----

  loadAccess(): AccessDefinitions {
    this.flushNow('read');
    const vhosts: VhostRecord[] = [];
    for (const r of this.st.allVhosts.iterate() as Iterable<VhostRow>) {
      const v: VhostRecord = { name: r.name, description: r.description, tags: parseTags(r.tags) };
      vhosts.push(r.default_queue_type === null ? v : { ...v, defaultQueueType: r.default_queue_type });
    }
    const users: UserRecord[] = [];
    for (const r of this.st.allUsers.iterate() as Iterable<UserRow>) {
      users.push({
        name: r.name,
        passwordHash: r.password_hash,
        hashingAlgorithm: r.hashing_algorithm,
        tags: parseTags(r.tags),
      });
    }
    const permissions: PermissionRecord[] = [];
    for (const r of this.st.allPermissions.iterate() as Iterable<PermissionRow>) {
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

  putVhost(record: VhostRecord): void {
    this.push({ kind: PUT_VHOST, record });
  }

  deleteVhost(name: string): void {
    this.assertOpen();
    for (const [id, q] of this.queueNameById) {
      if (q.vhost !== name) continue;
      this.queueNameById.delete(id);
      this.queueIdByName.delete(key(q.vhost, q.name));
      this.cancelBufferedEntries(id);
    }
    this.push({ kind: DELETE_VHOST, name });
  }

  putUser(record: UserRecord): void {
    this.push({ kind: PUT_USER, record });
  }

  deleteUser(name: string): void {
    this.push({ kind: DELETE_USER, name });
  }

  putPermission(record: PermissionRecord): void {
    this.push({ kind: PUT_PERMISSION, record });
  }

  deletePermission(user: string, vhost: string): void {
    this.push({ kind: DELETE_PERMISSION, user, vhost });
  }

  // ---- runtime parameters ----

  loadParameters(): ParameterRecord[] {
    this.flushNow('read');
    const out: ParameterRecord[] = [];
    for (const r of this.st.allParameters.iterate() as Iterable<ParameterRow>) {
      let value: unknown;
      try {
        value = JSON.parse(r.value);
      } catch (err) {
        const text = `database file ${this.file}: value of parameter ${r.component} '${r.name}' in vhost '${r.vhost}' ` +
          `is not JSON: ${describe(err)}`;
        throw new StoreError('STORE_CORRUPT', text, { cause: err });
      }
      out.push({ component: r.component, vhost: r.vhost, name: r.name, value });
    }
    return out;
  }

  putParameter(record: ParameterRecord): void {
    this.assertOpen();
    const json = encodeParameterValue(record.value);
    this.push({ kind: PUT_PARAMETER, component: record.component, vhost: record.vhost, name: record.name, json });
  }

  deleteParameter(component: string, vhost: string, name: string): void {
    this.push({ kind: DELETE_PARAMETER, component, vhost, name });
  }

  // ---- persistent messages ----

  nextMessageId(): number {
    return ++this.lastMessageId;
  }

  enqueue(queueId: number, seq: number, message: MessageRecord): void {
    this.assertOpen();
    if (!this.queueNameById.has(queueId)) return; // the queue is gone (or never was): nothing to keep
    let pending = this.pendingMessages.get(message.id);
    if (pending === undefined) {
      pending = { record: message, live: 0, written: false };
      this.pendingMessages.set(message.id, pending);
    }
    pending.live++;
    const op: EnqueueOp = { kind: ENQUEUE, queueId, seq, message: pending, redelivered: false, cancelled: false };
    let bySeq = this.entryOps.get(queueId);
    if (bySeq === undefined) {
      bySeq = new Map();
      this.entryOps.set(queueId, bySeq);
    }
    bySeq.set(seq, op);
    this.push(op);
  }

  markDelivered(queueId: number, seq: number): void {
    this.assertOpen();
    if (!this.queueNameById.has(queueId)) return;
    let bySeq = this.entryOps.get(queueId);
    const buffered = bySeq?.get(seq);
    if (buffered !== undefined) {
      if (buffered.kind === ENQUEUE) buffered.redelivered = true;
      return; // enqueue carries the flag, or a mark is already buffered
    }
    const op: MarkOp = { kind: MARK, queueId, seq, cancelled: false };
    if (bySeq === undefined) {
      bySeq = new Map();
      this.entryOps.set(queueId, bySeq);
    }
    bySeq.set(seq, op);
    this.push(op);
  }

  remove(queueId: number, seq: number, _messageId: number): void {
    this.assertOpen();
    if (!this.queueNameById.has(queueId)) return; // deleted with its entries
    const bySeq = this.entryOps.get(queueId);
    const buffered = bySeq?.get(seq);
    if (buffered !== undefined) {
      bySeq!.delete(seq);
      buffered.cancelled = true;
      if (buffered.kind === ENQUEUE) {
        buffered.message.live--;
        this.counterValues.cancelled++;
        return; // neither the enqueue nor the removal reaches disk
      }
    }
    this.push({ kind: REMOVE, queueId, seq });
  }

  purge(queueId: number): number {
    this.flushNow('read');
    try {
      this.st.begin.run();
      const n = this.dropQueueEntries(queueId);
      this.st.commit.run();
      return n;
    } catch (err) {
      if (this.db.inTransaction) this.st.rollback.run();
      throw ioError('purge', err);
    }
  }

  queueStats(queueId: number): QueueStats {
    this.flushNow('read');
    const row = this.st.queueStats.get(queueId);
    if (!row) return { messages: 0, bytes: 0, lastSeq: 0 };
    return { messages: row.entry_count, bytes: row.entry_bytes, lastSeq: row.last_seq };
  }

  loadEntries(queueId: number, afterSeq: number, limit: number): StoredEntry[] {
    this.flushNow('read');
    const out: StoredEntry[] = [];
    if (limit <= 0) return out;
    for (const r of this.st.loadEntries.iterate(queueId, afterSeq, limit)) {
      out.push({
        seq: r[0],
        redelivered: r[1] === 1,
        message: { id: r[2], exchange: r[3], routingKey: r[4], properties: r[5], body: r[6] },
      });
    }
    return out;
  }

  // ---- durability ----

  afterCommit(listener: CommitListener, token: number): void {
    this.assertOpen();
    this.listeners.push(listener);
    this.tokens.push(token);
    this.schedule();
  }

  flush(): Promise<void> {
    try {
      this.flushNow('flush');
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.flushNow('flush');
    } finally {
      this.closed = true;
      if (this.immediate) clearImmediate(this.immediate);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      clearInterval(this.reclaimTimer);
      this.immediate = undefined;
      this.retryTimer = undefined;
      this.db.close();
      removeOwnPidFile(this.dataDir);
      openDirs.delete(this.dataDir);
      this.logger?.info({ dataDir: this.dataDir }, 'store closed');
    }
  }

  // ---- introspection (tests, metrics) ----

  counters(): Readonly<SqliteStoreCounters> {
    return { ...this.counterValues };
  }

  /** Rows in a table, after flushing; for tests that check what reached disk. */
  countRows(table: 'messages' | 'queue_entries' | 'queues' | 'exchanges' | 'bindings' | 'parameters'): number {
    this.flushNow('read');
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
    return row.n;
  }

  /** A PRAGMA's current value, for tests. */
  pragma(name: 'synchronous' | 'journal_mode' | 'locking_mode' | 'user_version'): unknown {
    return this.db.pragma(name, { simple: true });
  }

  // ---- group commit ----

  private push(op: Op): void {
    this.assertOpen();
    this.ops.push(op);
    if (this.ops.length >= this.batchLimit && this.retryTimer === undefined) this.flushNow('limit');
    else this.schedule();
  }

  private schedule(): void {
    if (this.immediate === undefined && this.retryTimer === undefined) this.immediate = setImmediate(this.onImmediate);
  }

  /**
   * Writes the buffered batch in one transaction and hands its listeners over to be called. 'read' and 'flush'
   * throw a StoreError if the batch cannot be written; the others log, keep the batch and retry later.
   */
  private flushNow(mode: FlushMode): void {
    if (this.closed) {
      if (mode === 'read' || mode === 'flush') throw closedError();
      return;
    }
    const hasWrites = this.ops.length > 0 || this.lastMessageId !== this.persistedMessageId;
    if (hasWrites) {
      if (this.retryTimer !== undefined && (mode === 'turn' || mode === 'limit')) return;
      try {
        this.writeBatch();
      } catch (err) {
        for (const m of this.pendingMessages.values()) m.written = false;
        this.logger?.error({ err, ops: this.ops.length }, 'store batch failed; it will be retried');
        if (this.retryTimer === undefined) {
          if (this.immediate !== undefined) clearImmediate(this.immediate);
          this.immediate = undefined;
          this.retryTimer = setTimeout(this.onRetry, RETRY_MS);
        }
        if (mode === 'read' || mode === 'flush') throw ioError('write', err);
        return;
      }
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        this.logger?.info({}, 'store batch written after a failure');
      }
      this.ops = [];
      this.entryOps = new Map();
      this.pendingMessages = new Map();
    }
    if (this.listeners.length > 0) {
      if (this.committedListeners.length === 0) {
        this.committedListeners = this.listeners;
        this.committedTokens = this.tokens;
      } else {
        for (let i = 0; i < this.listeners.length; i++) {
          this.committedListeners.push(this.listeners[i]!);
          this.committedTokens.push(this.tokens[i]!);
        }
      }
      this.listeners = [];
      this.tokens = [];
    }
    if (this.committedListeners.length > 0) {
      if (mode === 'turn' || mode === 'retry') this.callCommitted();
      else if (!this.drainQueued) {
        this.drainQueued = true;
        queueMicrotask(this.drainCommitted);
      }
    }
  }

  private callCommitted(): void {
    const listeners = this.committedListeners;
    const tokens = this.committedTokens;
    this.committedListeners = [];
    this.committedTokens = [];
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!.committed(tokens[i]!);
      } catch (err) {
        this.logger?.error({ err }, 'commit listener threw');
      }
    }
  }

  private writeBatch(): void {
    const st = this.st;
    const ops = this.ops;
    const deltas = new Map<number, QueueDelta>();
    let written = 0;
    st.begin.run();
    try {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        switch (op.kind) {
          case ENQUEUE: {
            const delta = deltaFor(deltas, op.queueId);
            if (op.seq > delta.lastSeq) delta.lastSeq = op.seq;
            if (op.cancelled) break;
            const pending = op.message;
            const m = pending.record;
            if (!pending.written) {
              st.upsertMessage.run(m.id, m.exchange, m.routingKey, m.properties, m.body, pending.live);
              pending.written = true;
            }
            if (st.insertEntry.run(op.queueId, op.seq, m.id, m.body.length, op.redelivered ? 1 : 0).changes === 1) {
              delta.count++;
              delta.bytes += m.body.length;
            } else {
              this.logger?.warn({ queueId: op.queueId, seq: op.seq }, 'store: duplicate queue entry ignored');
              this.releaseMessage(m.id);
            }
            written++;
            break;
          }
          case MARK:
            if (!op.cancelled) {
              st.markEntry.run(op.queueId, op.seq);
              written++;
            }
            break;
          case REMOVE: {
            const row = st.removeEntry.get(op.queueId, op.seq);
            if (row !== undefined) {
              const delta = deltaFor(deltas, op.queueId);
              delta.count--;
              delta.bytes -= row.size;
              this.releaseMessage(row.message_id);
            }
            written++;
            break;
          }
          case PUT_EXCHANGE: {
            const r = op.record;
            const args = encodeTable(r.arguments);
            st.putExchange.run(r.vhost, r.name, r.type, bit(r.durable), bit(r.autoDelete), bit(r.internal), args);
            written++;
            break;
          }
          case DELETE_EXCHANGE:
            st.deleteExchange.run(op.vhost, op.name);
            st.deleteBindingsOfExchange.run(op.vhost, op.name, op.name);
            written++;
            break;
          case PUT_QUEUE: {
            const r = op.record;
            st.putQueue.run(op.id, r.vhost, r.name, bit(r.durable), bit(r.autoDelete), encodeTable(r.arguments));
            written++;
            break;
          }
          case DELETE_QUEUE:
            if (op.id !== 0) this.dropQueue(op.id, deltas);
            st.deleteBindingsToQueue.run(op.vhost, op.name);
            written++;
            break;
          case PUT_BINDING: {
            const r = op.record;
            st.putBinding.run(r.vhost, r.source, r.destinationKind, r.destination, r.routingKey,
              canonicalArgumentsKey(r.arguments), encodeTable(r.arguments));
            written++;
            break;
          }
          case DELETE_BINDING: {
            const r = op.record;
            st.deleteBinding.run(r.vhost, r.source, r.destinationKind, r.destination, r.routingKey,
              canonicalArgumentsKey(r.arguments));
            written++;
            break;
          }
          case PUT_VHOST: {
            const r = op.record;
            st.putVhost.run(r.name, r.description, JSON.stringify(r.tags), r.defaultQueueType ?? null);
            written++;
            break;
          }
          case DELETE_VHOST: {
            const ids = st.queuesOfVhost.all(op.name);
            for (const { id } of ids) this.dropQueue(id, deltas);
            st.deleteExchangesOfVhost.run(op.name);
            st.deleteBindingsOfVhost.run(op.name);
            st.deletePermissionsOfVhost.run(op.name);
            if (op.name !== '') st.deleteParametersOfVhost.run(op.name); // '' holds the broker-wide ones
            st.deleteVhost.run(op.name);
            written++;
            break;
          }
          case PUT_USER: {
            const r = op.record;
            st.putUser.run(r.name, r.passwordHash, r.hashingAlgorithm, JSON.stringify(r.tags));
            written++;
            break;
          }
          case DELETE_USER:
            st.deleteUser.run(op.name);
            st.deletePermissionsOfUser.run(op.name);
            written++;
            break;
          case PUT_PERMISSION: {
            const r = op.record;
            st.putPermission.run(r.user, r.vhost, r.configure, r.write, r.read);
            written++;
            break;
          }
          case DELETE_PERMISSION:
            st.deletePermission.run(op.user, op.vhost);
            written++;
            break;
          case PUT_PARAMETER:
            st.putParameter.run(op.component, op.vhost, op.name, op.json);
            written++;
            break;
          case DELETE_PARAMETER:
            st.deleteParameter.run(op.component, op.vhost, op.name);
            written++;
            break;
        }
      }
      for (const [queueId, d] of deltas) st.addQueueDelta.run(d.count, d.bytes, d.lastSeq, d.lastSeq, queueId);
      if (this.lastMessageId !== this.persistedMessageId) st.putMeta.run('last_message_id', this.lastMessageId);
      st.commit.run();
    } catch (err) {
      if (this.db.inTransaction) st.rollback.run();
      throw err;
    }
    this.persistedMessageId = this.lastMessageId;
    const c = this.counterValues;
    c.commits++;
    c.opsWritten += written;
    if (written > c.largestBatch) c.largestBatch = written;
  }

  /** Inside a transaction: one reference to the message is gone; drop the body with the last one. */
  private releaseMessage(messageId: number): void {
    if (this.st.dropMessageIfLast.run(messageId).changes === 0) this.st.decrementMessage.run(messageId);
  }

  /** Inside a transaction: deletes a queue's entries (releasing their messages); returns how many there were. */
  private dropQueueEntries(queueId: number): number {
    const st = this.st;
    st.clearRefs.run();
    st.collectRefs.run(queueId);
    st.releaseRefs.run();
    st.dropReleased.run();
    const n = st.deleteEntriesOfQueue.run(queueId).changes;
    st.clearRefs.run();
    st.zeroQueueCounters.run(queueId);
    return n;
  }

  private dropQueue(queueId: number, deltas: Map<number, QueueDelta>): void {
    this.dropQueueEntries(queueId);
    this.st.deleteQueue.run(queueId);
    deltas.delete(queueId);
  }

  /** The queue is being deleted: its buffered enqueues and marks will not reach disk. */
  private cancelBufferedEntries(queueId: number): void {
    const bySeq = this.entryOps.get(queueId);
    if (bySeq === undefined) return;
    for (const op of bySeq.values()) {
      op.cancelled = true;
      if (op.kind === ENQUEUE) op.message.live--;
    }
    this.entryOps.delete(queueId);
  }

  private decodeTable(blob: Buffer, what: string): FieldTable {
    try {
      return readTableAt(blob, 0, blob.length);
    } catch (err) {
      const text = `database file ${this.file}: arguments of ${what} cannot be decoded: ${describe(err)}`;
      throw new StoreError('STORE_CORRUPT', text, { cause: err });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }
}

// ---- open helpers ----

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'STORE_SCHEMA_TOO_NEW',
      `database schema version ${version} is newer than this Leveret understands (${SCHEMA_VERSION}); ` +
        `upgrade Leveret or use another data directory (${file})`,
    );
  }
  if (appId !== APPLICATION_ID) {
    const tables = db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master`).get() as { n: number };
    if (appId !== 0 || version !== 0 || tables.n > 0) {
      throw new StoreError('STORE_CORRUPT', `database file ${file} is an SQLite database but not a Leveret one`);
    }
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${v + 1}`);
      if (v === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
  }
}

function classifyOpenError(err: unknown, file: string, dir: string): StoreError {
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : '';
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')) return lockedError(dir, readPid(dir));
  if (c.startsWith('SQLITE_NOTADB') || c.startsWith('SQLITE_CORRUPT')) {
    return new StoreError('STORE_CORRUPT', `database file ${file} is corrupt or not a database (${c})`, { cause: err });
  }
  return new StoreError('STORE_UNREADABLE', `database file ${file} cannot be opened: ${describe(err)}`, { cause: err });
}

function lockedError(dir: string, pid: number | undefined): StoreError {
  return new StoreError(
    'STORE_LOCKED',
    `data directory ${dir} is in use by another broker (pid ${pid === undefined ? 'unknown' : pid})`,
  );
}

function readPid(dir: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(path.join(dir, PID_FILE), 'utf8').trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function removeOwnPidFile(dir: string): void {
  if (readPid(dir) !== process.pid) return;
  try {
    fs.unlinkSync(path.join(dir, PID_FILE));
  } catch {
    // already gone
  }
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

// ---- small helpers ----

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

function deltaFor(deltas: Map<number, QueueDelta>, queueId: number): QueueDelta {
  let d = deltas.get(queueId);
  if (d === undefined) {
    d = { count: 0, bytes: 0, lastSeq: 0 };
    deltas.set(queueId, d);
  }
  return d;
}

function bit(b: boolean): number {
  return b ? 1 : 0;
}

function key(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

function parseTags(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function closedError(): StoreError {
  return new StoreError('STORE_CLOSED', 'the store is closed');
}

function ioError(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError('STORE_IO', `store ${what} failed: ${describe(err)}`, { cause: err });
}
