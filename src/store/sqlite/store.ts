import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../util/clock';
import { encodeParameterValue } from '../parameter-value';
import { SCHEMA_VERSION } from './schema';
import {
  DELETE_BINDING,
  DELETE_EXCHANGE,
  DELETE_PARAMETER,
  DELETE_PERMISSION,
  DELETE_QUEUE,
  DELETE_USER,
  DELETE_VHOST,
  PUT_BINDING,
  PUT_EXCHANGE,
  PUT_PARAMETER,
  PUT_PERMISSION,
  PUT_QUEUE,
  PUT_USER,
  PUT_VHOST,
  QUARANTINE,
  AUDIT,
  PRUNE_AUDIT,
  storedRecord,
  type Op,
} from './ops';
import { countAudit, readAudit } from './audit';
import { DELETE_DELAYED, REMOVE_DELAYED, readDue, readNextDue } from './delayed';
import { markCleanStop, openDatabase, releaseDataDir, UNCLEAN_STOP_AT_KEY } from './open';
import { GroupCommit, type SqliteStoreCounters } from './group-commit';
import {
  prepareStatements,
  readAccess,
  readDefinitions,
  readParameters,
  readQuarantine,
  type Statements,
} from './statements';
import { countRange, readEntries, readExpired, readNextExpiry, readSeqAt } from './entries';
import type {
  AccessDefinitions,
  AuditFilter,
  AuditRecord,
  BindingRecord,
  CommitListener,
  Definitions,
  DelayedRecord,
  ExchangeRecord,
  MessageRecord,
  ParameterRecord,
  PermissionRecord,
  QuarantineRecord,
  QueueRecord,
  QueueStats,
  Store,
  StoredEntry,
  StoredQuarantine,
  StoredAudit,
  StoreHealthListener,
  UserRecord,
  VhostRecord,
} from '../store';

export { DB_FILE, PID_FILE } from './open';
export type { SqliteStoreCounters } from './group-commit';

/*
 * SqliteStore: one SQLite file (WAL) per data directory, group commit.
 *
 * Writes are buffered as ops and committed in batches, one transaction per event-loop turn at most, by the inline
 * writer or the writer thread (group-commit.ts, writer.ts); afterCommit() listeners run once their batch is on disk
 * (fsync'd with synchronous=FULL, the default). An enqueue whose remove arrives while both are still buffered is
 * cancelled: neither reaches disk (the batch and its cancellation rules: pending.ts).
 *
 * Reads (loadDefinitions, loadAccess, loadParameters, loadEntries, nextExpiry, loadExpired, queueStats, purge,
 * delayedCount) first have every earlier write committed, so they see it. They are start-up, paging and management
 * paths, not per-message ones. The delayed-message scheduler's reads (loadDue, nextDue) are frequent: they see the
 * buffered batch as an overlay instead of writing it (delayed.ts); with the writer thread they wait only when a
 * batch in flight holds delayed-message writes. Reads stay on this connection (WAL lets it read while the thread
 * writes).
 *
 * Message bodies are stored once (messages, with a refcount of the entries that point at them) however many queues
 * hold them; queue_entries holds (queue, seq) -> message. Each queue row carries its entry count, byte total and
 * last seq, updated once per queue per batch, so queueStats is one row read even with millions of entries.
 *
 * The data directory is locked by LOCK_FILE (open.ts), held for the life of the store and released by the kernel on
 * kill -9; an in-process registry catches a second open in the same process. A pid file names the holder in the
 * error message. An open after an unclean stop marks every stored entry redelivered (open.ts).
 *
 * Modules: this file holds the Store methods; group-commit.ts the batching, the writers and the listeners;
 * writer.ts the writer interface, inline-writer.ts and thread-writer.ts (with writer-main.ts, the thread, and
 * batch.ts, a batch's transfer encoding) its two implementations; ops.ts the buffered ops and how a batch applies
 * them; pending.ts the batch being buffered; statements.ts the prepared statements and reading definitions back;
 * delayed.ts the delayed messages' statements, ops and reads; audit.ts the audit log's statements and reads;
 * open.ts opening, locking, the pid file and migration; schema.ts the schema and its migrations; reclaim.ts giving
 * free pages back.
 */

export interface SqliteStoreOptions {
  dataDir: string;
  /** 'fsync' (default): synchronous=FULL, a commit is on disk when listeners run. 'relaxed': synchronous=NORMAL
   *  (WAL): a commit survives a process crash but may be lost with the machine. */
  durability?: 'fsync' | 'relaxed';
  logger?: Logger;
  /** Buffered ops that trigger an immediate batch (default 10,000). */
  batchLimit?: number;
  /**
   * Where batches are written: 'auto' (default) moves the writing to a writer thread with the first persistent
   * message (definitions alone never start it, so an idle broker does not pay its memory); 'always' starts it at
   * open; 'never' writes on the caller's thread.
   */
  writerThread?: 'auto' | 'always' | 'never';
  /** Arms the timers of writing on the caller's thread (the retry of a failed batch, space reclamation). */
  clock?: Clock;
}

const DEFAULT_BATCH_LIMIT = 10_000;

export class SqliteStore implements Store {
  /** Opens (creating if needed) the store in dataDir and locks the directory. Synchronous. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const { db, realDir, file } = openDatabase(options);
    const store = new SqliteStore(db, realDir, file, options);
    options.logger?.info(
      { dataDir: realDir, schemaVersion: SCHEMA_VERSION, durability: options.durability ?? 'fsync' },
      'store opened',
    );
    return store;
  }

  private readonly st: Statements;
  private readonly logger: Logger | undefined;
  private readonly commit: GroupCommit;

  /** (vhost \0 name) -> queue id, and the reverse, for every stored queue. */
  private readonly queueIdByName = new Map<string, number>();
  private readonly queueNameById = new Map<number, { vhost: string; name: string }>();
  private nextQueueIdValue: number;

  private constructor(
    private readonly db: Database.Database,
    readonly dataDir: string,
    readonly file: string,
    options: SqliteStoreOptions,
  ) {
    this.st = prepareStatements(db);
    this.logger = options.logger;
    let maxQueueId = 0;
    for (const row of this.st.queueIds.iterate()) {
      this.queueIdByName.set(key(row.vhost, row.name), row.id);
      this.queueNameById.set(row.id, { vhost: row.vhost, name: row.name });
      if (row.id > maxQueueId) maxQueueId = row.id;
    }
    this.nextQueueIdValue = maxQueueId + 1;
    const persisted = this.st.getMeta.get('last_message_id')?.value ?? 0;
    const maxId = this.st.maxMessageId.get()?.id ?? 0;
    const persistedDelayed = this.st.getMeta.get('last_delayed_id')?.value ?? 0;
    const ids = {
      lastMessageId: Math.max(persisted, maxId),
      lastDelayedId: Math.max(persistedDelayed, this.st.delayed.maxId.get()?.id ?? 0),
    };
    const groupOptions = {
      durability: options.durability,
      logger: options.logger,
      batchLimit: Math.max(1, options.batchLimit ?? DEFAULT_BATCH_LIMIT),
      writerThread: options.writerThread ?? 'auto',
      clock: options.clock ?? systemClock,
    } as const;
    try {
      this.commit = new GroupCommit(db, this.st, file, groupOptions, ids);
    } catch (err) {
      this.db.close();
      releaseDataDir(this.dataDir);
      throw err;
    }
  }

  /** True while a batch waits for its retry after a failure, or the writer thread is gone. */
  get writeFailing(): boolean {
    return this.commit.failure !== undefined;
  }

  onWriteHealth(listener: StoreHealthListener): void {
    this.commit.health = listener;
  }

  /**
   * Returns up to `maxPages` free pages to the file system (the file shrinks after a backlog drains). Bounded so
   * that one call blocks the event loop only briefly; a no-op for files created without incremental auto-vacuum.
   * Returns how many pages were free before the call.
   */
  reclaimSpace(maxPages: number): number {
    return this.commit.reclaim(maxPages);
  }

  // ---- definitions ----

  loadDefinitions(): Definitions {
    this.commit.flushForRead();
    return readDefinitions(this.st, this.file);
  }

  putExchange(record: ExchangeRecord): void {
    this.push({ kind: PUT_EXCHANGE, record: storedRecord(record) });
  }

  deleteExchange(vhost: string, name: string): void {
    this.push({ kind: DELETE_EXCHANGE, vhost, name });
  }

  putQueue(record: QueueRecord): number {
    this.commit.assertOpen();
    const k = key(record.vhost, record.name);
    let id = this.queueIdByName.get(k);
    if (id === undefined) {
      id = this.nextQueueIdValue++;
      this.queueIdByName.set(k, id);
      this.queueNameById.set(id, { vhost: record.vhost, name: record.name });
    }
    this.push({ kind: PUT_QUEUE, id, record: storedRecord(record) });
    return id;
  }

  deleteQueue(vhost: string, name: string): void {
    this.commit.assertOpen();
    const k = key(vhost, name);
    const id = this.queueIdByName.get(k);
    if (id !== undefined) {
      this.queueIdByName.delete(k);
      this.queueNameById.delete(id);
      this.commit.batch.cancelQueue(id);
    }
    this.push({ kind: DELETE_QUEUE, id: id ?? 0, vhost, name });
  }

  putBinding(record: BindingRecord): void {
    this.push({ kind: PUT_BINDING, record: storedRecord(record) });
  }

  deleteBinding(record: BindingRecord): void {
    this.push({ kind: DELETE_BINDING, record: storedRecord(record) });
  }

  // ---- users, vhosts, permissions ----

  loadAccess(): AccessDefinitions {
    this.commit.flushForRead();
    return readAccess(this.st);
  }

  putVhost(record: VhostRecord): void {
    this.push({ kind: PUT_VHOST, record });
  }

  deleteVhost(name: string): void {
    this.commit.assertOpen();
    for (const [id, q] of this.queueNameById) {
      if (q.vhost !== name) continue;
      this.queueNameById.delete(id);
      this.queueIdByName.delete(key(q.vhost, q.name));
      this.commit.batch.cancelQueue(id);
    }
    this.commit.batch.delayed.drop(name, undefined);
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
    this.commit.flushForRead();
    return readParameters(this.st, this.file);
  }

  putParameter(record: ParameterRecord): void {
    this.commit.assertOpen();
    const json = encodeParameterValue(record.value);
    this.push({ kind: PUT_PARAMETER, component: record.component, vhost: record.vhost, name: record.name, json });
  }

  deleteParameter(component: string, vhost: string, name: string): void {
    this.push({ kind: DELETE_PARAMETER, component, vhost, name });
  }

  // ---- persistent messages ----

  nextMessageId(): number {
    return this.commit.nextMessageId();
  }

  enqueue(queueId: number, seq: number, message: MessageRecord, expiresAt = 0, priority?: number): void {
    this.commit.assertOpen();
    if (!this.queueNameById.has(queueId)) return; // the queue is gone (or never was): nothing to keep
    this.commit.messagesFlow();
    this.commit.batch.enqueue(queueId, seq, message, expiresAt, priority ?? -1);
    this.commit.afterPush();
  }

  markDelivered(queueId: number, seq: number): void {
    this.commit.assertOpen();
    if (!this.queueNameById.has(queueId)) return;
    if (this.commit.batch.markDelivered(queueId, seq)) this.commit.afterPush();
  }

  remove(queueId: number, seq: number, _messageId: number): void {
    this.commit.assertOpen();
    if (!this.queueNameById.has(queueId)) return; // deleted with its entries
    if (this.commit.batch.remove(queueId, seq)) this.commit.counters.cancelled++; // neither reaches disk
    else this.commit.afterPush();
  }

  purge(queueId: number): number {
    return this.commit.purge(queueId);
  }

  queueStats(queueId: number): QueueStats {
    this.commit.flushForRead();
    const row = this.st.queueStats.get(queueId);
    if (!row) return { messages: 0, bytes: 0, lastSeq: 0 };
    return { messages: row.entry_count, bytes: row.entry_bytes, lastSeq: row.last_seq };
  }

  loadEntries(queueId: number, afterSeq: number, limit: number, priority?: number): StoredEntry[] {
    this.commit.flushForRead();
    return readEntries(this.st, queueId, afterSeq, limit, priority);
  }

  entrySeqAt(queueId: number, afterSeq: number, offset: number, priority?: number): number {
    this.commit.flushForRead();
    return readSeqAt(this.st, queueId, afterSeq, offset, priority);
  }

  countEntries(queueId: number, afterSeq: number, beforeSeq: number, priority?: number): number {
    this.commit.flushForRead();
    return countRange(this.st, queueId, afterSeq, beforeSeq, priority);
  }

  nextExpiry(queueId: number, afterSeq: number, priority?: number): number {
    this.commit.flushForRead();
    return readNextExpiry(this.st, queueId, afterSeq, priority);
  }

  loadExpired(queueId: number, afterSeq: number, now: number, limit: number, priority?: number): StoredEntry[] {
    this.commit.flushForRead();
    return readExpired(this.st, queueId, afterSeq, now, limit, priority);
  }

  // ---- delayed messages ----

  nextDelayedId(): number {
    return this.commit.nextDelayedId();
  }

  putDelayed(record: DelayedRecord): void {
    this.commit.assertOpen();
    this.commit.batch.putDelayed(record);
    this.commit.afterPush();
  }

  removeDelayed(id: number): void {
    this.commit.assertOpen();
    if (this.commit.batch.delayed.remove(id)) {
      this.commit.counters.delayedCancelled++;
      return; // neither the put nor the removal reaches disk
    }
    this.push({ kind: REMOVE_DELAYED, id });
  }

  loadDue(now: number, limit: number): DelayedRecord[] {
    this.commit.beforeDelayedRead();
    return readDue(this.st.delayed, this.commit.batch.delayed, now, limit);
  }

  nextDue(): number {
    this.commit.beforeDelayedRead();
    return readNextDue(this.st.delayed, this.commit.batch.delayed);
  }

  deleteDelayed(vhost: string, exchange: string): void {
    this.commit.assertOpen();
    this.commit.batch.delayed.drop(vhost, exchange);
    this.push({ kind: DELETE_DELAYED, vhost, exchange });
  }

  delayedCount(vhost: string, exchange: string): number {
    this.commit.flushForRead();
    return this.st.delayed.countOfExchange.get(vhost, exchange)?.n ?? 0;
  }

  lastUncleanStopAt(): number {
    return this.st.getMeta.get(UNCLEAN_STOP_AT_KEY)?.value ?? 0;
  }

  // ---- quarantine ----

  quarantine(record: QuarantineRecord): void {
    this.push({ kind: QUARANTINE, record });
  }

  loadQuarantine(limit: number, vhost?: string): StoredQuarantine[] {
    this.commit.flushForRead();
    return readQuarantine(this.st, Math.max(0, limit), vhost);
  }

  quarantineCount(vhost?: string): number {
    this.commit.flushForRead();
    return (vhost === undefined ? this.st.countQuarantine.get() : this.st.countQuarantineOfVhost.get(vhost))?.n ?? 0;
  }

  // ---- audit log ----

  audit(record: AuditRecord): void {
    this.push({ kind: AUDIT, record });
  }

  loadAudit(filter: AuditFilter, limit: number): StoredAudit[] {
    this.commit.flushForRead();
    return readAudit(this.st.audit, filter, Math.max(0, limit));
  }

  auditCount(filter: AuditFilter): number {
    this.commit.flushForRead();
    return countAudit(this.st.audit, filter);
  }

  pruneAudit(keep: number, before: number): void {
    this.push({ kind: PRUNE_AUDIT, keep: Math.max(0, keep), before });
  }

  // ---- durability ----

  afterCommit(listener: CommitListener, token: number): void {
    this.commit.afterCommit(listener, token);
  }

  flush(): Promise<void> {
    return this.commit.flush();
  }

  async close(): Promise<void> {
    if (this.commit.closed) return;
    try {
      this.commit.close();
      markCleanStop(this.db); // only once all is on disk: a close that could not flush leaves the store unclean
    } finally {
      this.db.close();
      releaseDataDir(this.dataDir);
      this.logger?.info({ dataDir: this.dataDir }, 'store closed');
    }
  }

  // ---- introspection (tests, metrics) ----

  counters(): Readonly<SqliteStoreCounters> {
    return { ...this.commit.counters };
  }

  /** Rows in a table, after flushing; for tests that check what reached disk. */
  countRows(table: CountedTable): number {
    this.commit.flushForRead();
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
    return row.n;
  }

  /** Whether batches are written by the writer thread ('running'), for tests and metrics. */
  writerThreadState(): 'none' | 'starting' | 'running' {
    return this.commit.threadState();
  }

  /** A PRAGMA's current value, for tests. */
  pragma(name: 'synchronous' | 'journal_mode' | 'locking_mode' | 'user_version'): unknown {
    return this.db.pragma(name, { simple: true });
  }

  private push(op: Op): void {
    this.commit.push(op);
  }
}

type CountedTable = 'messages' | 'queue_entries' | 'queues' | 'exchanges' | 'bindings' | 'parameters'
  | 'delayed_messages' | 'quarantined_messages' | 'audit_log';

function key(a: string, b: string): string {
  return `${a}\u0000${b}`;
}
