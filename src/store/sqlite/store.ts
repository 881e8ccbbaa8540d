import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../util/clock';
import { BufferedStore } from '../buffered-store';
import { SCHEMA_VERSION } from './schema';
import { countAudit, readAudit } from './audit';
import { readDue, readNextDue } from './delayed';
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
  Definitions,
  DelayedRecord,
  ParameterRecord,
  QueueStats,
  Store,
  StoredEntry,
  StoredQuarantine,
  StoredAudit,
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
 * Modules: this file holds the Store's reads, open and close (its writes: ../buffered-store.ts, shared with the
 * PostgreSQL store); group-commit.ts the batching, the writers and the listeners;
 * writer.ts the writer interface, inline-writer.ts and thread-writer.ts (with writer-main.ts, the thread, and
 * batch.ts, a batch's transfer encoding) its two implementations; ops.ts the buffered ops and how a batch applies
 * them; ../pending.ts the batch being buffered; statements.ts the prepared statements and reading definitions back;
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

export class SqliteStore extends BufferedStore<GroupCommit> implements Store {
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
  protected readonly commit: GroupCommit;

  private constructor(
    private readonly db: Database.Database,
    readonly dataDir: string,
    readonly file: string,
    options: SqliteStoreOptions,
  ) {
    super();
    this.st = prepareStatements(db);
    this.logger = options.logger;
    this.registerStoredQueues(this.st.queueIds.iterate());
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

  // ---- users, vhosts, permissions ----

  loadAccess(): AccessDefinitions {
    this.commit.flushForRead();
    return readAccess(this.st);
  }

  // ---- runtime parameters ----

  loadParameters(): ParameterRecord[] {
    this.commit.flushForRead();
    return readParameters(this.st, this.file);
  }

  // ---- persistent messages ----

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

  loadDue(now: number, limit: number): DelayedRecord[] {
    this.commit.beforeDelayedRead();
    return readDue(this.st.delayed, this.commit.batch.delayed, now, limit);
  }

  nextDue(): number {
    this.commit.beforeDelayedRead();
    return readNextDue(this.st.delayed, this.commit.batch.delayed);
  }

  delayedCount(vhost: string, exchange: string): number {
    this.commit.flushForRead();
    return this.st.delayed.countOfExchange.get(vhost, exchange)?.n ?? 0;
  }

  lastUncleanStopAt(): number {
    return this.st.getMeta.get(UNCLEAN_STOP_AT_KEY)?.value ?? 0;
  }

  // ---- quarantine ----

  loadQuarantine(limit: number, vhost?: string): StoredQuarantine[] {
    this.commit.flushForRead();
    return readQuarantine(this.st, Math.max(0, limit), vhost);
  }

  quarantineCount(vhost?: string): number {
    this.commit.flushForRead();
    return (vhost === undefined ? this.st.countQuarantine.get() : this.st.countQuarantineOfVhost.get(vhost))?.n ?? 0;
  }

  // ---- audit log ----

  loadAudit(filter: AuditFilter, limit: number): StoredAudit[] {
    this.commit.flushForRead();
    return readAudit(this.st.audit, filter, Math.max(0, limit));
  }

  auditCount(filter: AuditFilter): number {
    this.commit.flushForRead();
    return countAudit(this.st.audit, filter);
  }

  // ---- durability ----

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
}

type CountedTable = 'messages' | 'queue_entries' | 'queues' | 'exchanges' | 'bindings' | 'parameters'
  | 'delayed_messages' | 'quarantined_messages' | 'audit_log';
