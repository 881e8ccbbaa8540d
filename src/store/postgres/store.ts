import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BufferedStore } from '../buffered-store';
import type {
  AccessDefinitions,
  AuditFilter,
  Definitions,
  DelayedRecord,
  ParameterRecord,
  QueueStats,
  Store,
  StoredAudit,
  StoredEntry,
  StoredQuarantine,
} from '../store';
import { GroupCommit, type PostgresStoreCounters } from './commit';
import { DEFAULT_APPLICATION_NAME } from './connect';
import { DelayedIndex } from './delayed-index';
import { openState } from './open';
import type { ReadName } from './reads';
import { accessOf, auditOf, definitionsOf, delayedOf, entriesOf, parametersOf, quarantineOf } from './records';
import { ensureSchema, SCHEMA_VERSION } from './schema';

/*
 * PostgresStore: the Store on a PostgreSQL database, for active/standby nodes that share it (src/ha).
 *
 * Writes are buffered as ops on the broker's thread (the write methods: ../buffered-store.ts, shared with the SQLite
 * store) and committed by a worker thread that owns the connection, one transaction per batch group (commit.ts,
 * worker-main.ts, apply.ts: array inserts, bodies stored once with a refcount). afterCommit listeners run after the
 * PostgreSQL COMMIT that holds their writes.
 *
 * Reads are synchronous, as the Store interface is: the buffered batch is sent, then the broker's thread blocks
 * until the worker answers (channel.ts), at most readTimeoutMs (then StoreError STORE_IO). They are start-up, paging
 * and management paths. The delayed-message scheduler's frequent reads use an index kept on this thread
 * (delayed-index.ts): nextDue never leaves it, loadDue goes to the database only for what is due.
 *
 * Fenced (options.fence): every write transaction checks the leader epoch; on a mismatch the store is dead for good
 * (writerDead('fenced: ...')), and nothing more is written or confirmed. Connection failures are retried.
 *
 * Ids survive restarts and takeovers: queue ids from the queues table, message and delayed ids from counters
 * committed with each batch (and the tables' maxima).
 */

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database */
  url: string;
  logger?: Logger;
  /** Every write transaction checks that the leader row's epoch is still this one. */
  fence?: { epoch: number };
  /** application_name of every connection of the store (default 'leveret-store'). */
  applicationName?: string;
  /** Buffered ops that make a batch go at once (default 2,000). */
  batchLimit?: number;
  /** How long a read (or a wait for the commits before it) may block the broker's thread (default 5000 ms). */
  readTimeoutMs?: number;
}

/**
 * A batch this large goes at once (after the one in flight). 2,000 as SQLite's writer thread: with 20,000 unconfirmed
 * 1 KiB messages, batches of 10,000 made commit latency p50 315 ms / p99 543 ms, batches of 2,000 42 / 200 ms, for
 * the same throughput (test-support/throughput.ts).
 */
const DEFAULT_BATCH_LIMIT = 2_000;
const DEFAULT_READ_TIMEOUT_MS = 5000;
/** close() gives the worker this long to commit what it holds and record a clean stop. */
const CLOSE_TIMEOUT_MS = 2000;

export class PostgresStore extends BufferedStore<GroupCommit> implements Store {
  /** Creates or migrates the schema, recovers from an unclean stop, and starts the worker. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const applicationName = options.applicationName ?? DEFAULT_APPLICATION_NAME;
    const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    const fenceEpoch = options.fence?.epoch ?? -1;
    await ensureSchema(options.url, applicationName);
    const state = await openState(options.url, applicationName, fenceEpoch, Math.max(readTimeoutMs, 10_000), options.logger);
    const store = new PostgresStore(options, state, applicationName, readTimeoutMs, fenceEpoch);
    try {
      await store.commit.channel.whenReady();
    } catch (err) {
      await store.commit.close(0).catch(() => undefined);
      throw err;
    }
    options.logger?.info({ schemaVersion: SCHEMA_VERSION, fence: options.fence?.epoch }, 'store opened');
    return store;
  }

  protected readonly commit: GroupCommit;
  private readonly logger: Logger | undefined;
  private readonly delayedIndex = new DelayedIndex();
  private readonly uncleanStopAt: number;

  private constructor(
    options: PostgresStoreOptions,
    state: Awaited<ReturnType<typeof openState>>,
    applicationName: string,
    readTimeoutMs: number,
    fenceEpoch: number,
  ) {
    super();
    this.logger = options.logger;
    this.registerStoredQueues(state.queues);
    for (const [id, vhost, exchange, dueAt] of state.delayed) this.delayedIndex.put(id, dueAt, vhost, exchange);
    this.uncleanStopAt = state.lastUncleanStopAt;
    this.commit = new GroupCommit(
      { url: options.url, applicationName, fenceEpoch, writerId: randomUUID(), readTimeoutMs },
      Math.max(1, options.batchLimit ?? DEFAULT_BATCH_LIMIT),
      options.logger,
      { lastMessageId: state.lastMessageId, lastDelayedId: state.lastDelayedId },
    );
  }

  get deliveriesHeld(): boolean {
    return this.commit.held;
  }

  onDeliveriesResumed(listener: () => void): void {
    this.commit.onResumed(listener);
  }

  // ---- definitions ----

  loadDefinitions(): Definitions {
    return definitionsOf(this.read('definitions', []) as unknown[][][]);
  }

  // ---- users, vhosts, permissions ----

  loadAccess(): AccessDefinitions {
    return accessOf(this.read('access', []) as unknown[][][]);
  }

  // ---- runtime parameters ----

  loadParameters(): ParameterRecord[] {
    return parametersOf(this.read('parameters', []) as unknown[][]);
  }

  // ---- persistent messages ----

  queueStats(queueId: number): QueueStats {
    const rows = this.read('queueStats', [queueId]) as unknown[][];
    const r = rows[0];
    if (r === undefined) return { messages: 0, bytes: 0, lastSeq: 0 };
    return { messages: Number(r[0]), bytes: Number(r[1]), lastSeq: Number(r[2]) };
  }

  loadEntries(queueId: number, afterSeq: number, limit: number, priority?: number): StoredEntry[] {
    if (limit <= 0) return [];
    return entriesOf(this.read('entries', [queueId, afterSeq, limit, priority ?? null]) as unknown[][]);
  }

  entrySeqAt(queueId: number, afterSeq: number, offset: number, priority?: number): number {
    return Number(this.read('seqAt', [queueId, afterSeq, Math.max(0, offset), priority ?? null]));
  }

  countEntries(queueId: number, afterSeq: number, beforeSeq: number, priority?: number): number {
    return Number(this.read('countEntries', [queueId, afterSeq, beforeSeq, priority ?? null]));
  }

  nextExpiry(queueId: number, afterSeq: number, priority?: number): number {
    return Number(this.read('nextExpiry', [queueId, afterSeq, priority ?? null]));
  }

  loadExpired(queueId: number, afterSeq: number, now: number, limit: number, priority?: number): StoredEntry[] {
    if (limit <= 0) return [];
    return entriesOf(this.read('expired', [queueId, afterSeq, now, limit, priority ?? null]) as unknown[][]);
  }

  // ---- delayed messages ----

  loadDue(now: number, limit: number): DelayedRecord[] {
    this.commit.assertOpen();
    if (limit <= 0) return [];
    const ids = this.delayedIndex.due(now, limit);
    if (ids.length === 0) return [];
    const found = new Map<number, DelayedRecord>();
    const puts = this.commit.batch.delayed.puts;
    const stored: number[] = [];
    for (const id of ids) {
      const op = puts.get(id);
      if (op !== undefined) found.set(id, op.record);
      else stored.push(id);
    }
    if (stored.length > 0) {
      for (const row of this.read('delayedByIds', [stored]) as unknown[][]) {
        const r = delayedOf(row);
        found.set(r.id, r);
      }
    }
    const out: DelayedRecord[] = [];
    for (const id of ids) {
      const r = found.get(id);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  nextDue(): number {
    this.commit.assertOpen();
    return this.delayedIndex.nextDue();
  }

  delayedCount(vhost: string, exchange: string): number {
    return Number(this.read('delayedCount', [vhost, exchange]));
  }

  lastUncleanStopAt(): number {
    return this.uncleanStopAt;
  }

  // ---- quarantine ----

  loadQuarantine(limit: number, vhost?: string): StoredQuarantine[] {
    return quarantineOf(this.read('quarantine', [Math.max(0, limit), vhost ?? null]) as unknown[][]);
  }

  quarantineCount(vhost?: string): number {
    return Number(this.read('quarantineCount', [vhost ?? null]));
  }

  // ---- audit log ----

  loadAudit(filter: AuditFilter, limit: number): StoredAudit[] {
    return auditOf(this.read('audit', [plainFilter(filter), Math.max(0, limit)]) as unknown[][]);
  }

  auditCount(filter: AuditFilter): number {
    return Number(this.read('auditCount', [plainFilter(filter)]));
  }

  // ---- durability ----

  /**
   * Commits what is buffered and records a clean stop, then ends the worker. Returns within about two seconds even
   * when the database cannot be reached (the stop then counts as unclean: the next open marks entries redelivered).
   */
  async close(): Promise<void> {
    if (this.commit.closed) return;
    const error = await this.commit.close(CLOSE_TIMEOUT_MS);
    if (error !== undefined) this.logger?.warn({ err: error }, 'store closed uncleanly');
    else this.logger?.info({}, 'store closed');
  }

  // ---- introspection (tests, metrics) ----

  counters(): Readonly<PostgresStoreCounters> {
    return { ...this.commit.counters };
  }

  /** Rows in a table of the store, after every earlier write is committed; for tests. */
  countRows(table: 'messages' | 'queue_entries' | 'queues' | 'delayed_messages' | 'audit_log'): number {
    return Number(this.read('countRows', [`leveret_${table}`]));
  }

  /** Test hook: while on, the worker stops every transaction just before its COMMIT. */
  holdBeforeCommit(on: boolean): void {
    this.commit.channel.holdBeforeCommit(on);
  }

  /** Test hook: the next successful COMMIT is treated as one whose outcome is unknown (its reply lost), once. */
  loseNextCommitReply(): void {
    this.commit.channel.loseNextCommitReply();
  }

  /** Test hook: resolves once a transaction is held before COMMIT. */
  whenHeldBeforeCommit(): Promise<void> {
    return this.commit.channel.whenHeld();
  }

  private read(name: ReadName, args: readonly unknown[]): unknown {
    this.commit.flushForRead();
    return this.commit.channel.read(name, args);
  }

  // ---- the delayed-message index (hooks of BufferedStore's delayed writes) ----

  protected override delayedPut(record: DelayedRecord): void {
    this.delayedIndex.put(record.id, record.dueAt, record.vhost, record.exchange);
  }

  protected override delayedRemoved(id: number): void {
    this.delayedIndex.remove(id);
  }

  protected override delayedDropped(vhost: string, exchange: string | undefined): void {
    this.delayedIndex.drop(vhost, exchange);
  }
}

export type { PostgresStoreCounters };

function plainFilter(filter: AuditFilter): AuditFilter {
  const { since, until, user, action, vhost } = filter;
  return { since, until, user, action, vhost };
}
