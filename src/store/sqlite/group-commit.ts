import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../../util/clock';
import { CommitListeners } from '../commit-listeners';
import { StoreError } from '../errors';
import type { CommitListener, StoreHealthListener } from '../store';
import { InlineWriter, ioError } from './inline-writer';
import type { Op } from './ops';
import { PendingBatch } from '../pending';
import type { Statements } from './statements';
import { WriterThread, type ThreadEvents } from './thread-writer';
import type { BatchWriter, FlushMode } from './writer';

/*
 * A SqliteStore's group commit: the batch being buffered, its writer, and the afterCommit listeners.
 *
 * Writes are buffered as ops, in call order. The batch goes to the writer on the next setImmediate (so the writes of
 * one event-loop turn share one commit), or at once when it reaches the batch limit. Listeners registered up to a
 * batch are called, in order, once the writer reports it committed: directly when that happened in a turn of its own,
 * on a microtask when it happened inside a store call (a full batch, a read that had to flush first), so a caller is
 * never re-entered.
 *
 * The writer (writer.ts) is the inline one first. With the first persistent message (writerThread 'auto'), or at
 * open ('always'), a writer thread starts; once it is ready it becomes the writer, and the inline one stops. With
 * the thread, one batch is in flight at a time and the next gathers here meanwhile, which widens the window in which
 * an enqueue and its removal cancel out.
 *
 * Failure: a batch the writer could not write stays buffered here (inline) or queued in the thread with every later
 * batch, and is retried after a pause; its listeners wait, so nothing unwritten is ever confirmed. Reads and flush()
 * report the error as StoreError STORE_IO.
 */

export interface GroupCommitOptions {
  durability: 'fsync' | 'relaxed' | undefined;
  logger: Logger | undefined;
  batchLimit: number;
  writerThread: 'auto' | 'always' | 'never';
  clock: Clock;
}

/** Counters about group commit, for tests and metrics. */
export interface SqliteStoreCounters {
  /** Transactions committed by group commit (not counting open/migrations). */
  commits: number;
  /** Ops written by those transactions (cancelled pairs not included). */
  opsWritten: number;
  /** Enqueue+remove pairs cancelled before reaching disk. */
  cancelled: number;
  /** putDelayed+removeDelayed pairs cancelled before reaching disk. */
  delayedCancelled: number;
  /** Size of the largest batch committed. */
  largestBatch: number;
}

export class GroupCommit {
  /** The batch being buffered. */
  readonly batch = new PendingBatch();
  readonly counters: SqliteStoreCounters = {
    commits: 0,
    opsWritten: 0,
    cancelled: 0,
    delayedCancelled: 0,
    largestBatch: 0,
  };
  closed = false;
  /** Why writes fail now (a batch waits for its retry, or the writer thread is gone); undefined while they succeed. */
  failure: string | undefined;
  /** Told when writes fail, recover, or stop for good (the broker's disk alarm). */
  health: StoreHealthListener | undefined;

  private writer: BatchWriter;
  /** The writer thread while it starts (it becomes the writer once ready). */
  private starting: WriterThread | undefined;
  private threadRunning = false;
  private readonly listeners = new CommitListeners();
  /** The last batch sent with delayed-message writes (the scheduler's reads wait for its commit). */
  private delayedSeq = 0;
  private lastMessageId: number;
  private persistedMessageId: number;
  private lastDelayedId: number;
  private persistedDelayedId: number;
  private immediate: NodeJS.Immediate | undefined;
  /** Committed listeners are to be called on a microtask. */
  private drainQueued = false;
  private readonly logger: Logger | undefined;

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.flushNow('turn');
  };
  private readonly drainCommitted = (): void => {
    this.drainQueued = false;
    this.callCommitted();
  };

  private readonly events: ThreadEvents = {
    ready: (thread) => this.adopt(thread),
    committed: (seq, written, sync) => this.committed(seq, written, sync),
    failed: (err, ops) => {
      this.logger?.error(ops === undefined ? { err } : { err, ops }, 'store batch failed; it will be retried');
      this.failure = describeError(err);
      this.health?.writeFailed(this.failure);
    },
    recovered: () => {
      this.logger?.info({}, 'store batch written after a failure');
      this.failure = undefined;
      this.health?.writeRecovered();
    },
    retry: () => this.flushNow('retry'),
    warn: (obj, msg) => this.logger?.warn(obj, msg),
    // Batches it held are lost, unconfirmed: nothing more is confirmed, and reads report STORE_IO from now on.
    crashed: (err) => {
      this.logger?.fatal({ err }, 'store writer thread failed; persistent messages are no longer written');
      this.failure = `the writer thread failed: ${err.message}`;
      this.health?.writerDead(this.failure);
    },
  };

  constructor(
    db: Database.Database,
    st: Statements,
    private readonly file: string,
    private readonly options: GroupCommitOptions,
    ids: { lastMessageId: number; lastDelayedId: number },
  ) {
    this.logger = options.logger;
    this.lastMessageId = this.persistedMessageId = ids.lastMessageId;
    this.lastDelayedId = this.persistedDelayedId = ids.lastDelayedId;
    const fsync = (options.durability ?? 'fsync') === 'fsync';
    this.writer = new InlineWriter(db, st, fsync, options.logger, this.events, options.clock);
    if (options.writerThread === 'always') {
      const thread = this.startThread();
      try {
        thread.waitReady();
      } catch (err) {
        this.writer.close();
        try {
          thread.close();
        } catch {
          // the start failure is the error worth reporting
        }
        throw ioError('writer thread start', err);
      }
    }
  }

  nextMessageId(): number {
    return ++this.lastMessageId;
  }

  nextDelayedId(): number {
    return ++this.lastDelayedId;
  }

  /** A persistent message is being written: in 'auto' mode, the writer thread starts now. */
  messagesFlow(): void {
    if (this.options.writerThread === 'auto' && this.threadState() === 'none') this.startThread();
  }

  push(op: Op): void {
    this.assertOpen();
    this.batch.push(op);
    this.afterPush();
  }

  /** An op joined the batch: it is written on the next turn, or now when the batch is full. */
  afterPush(): void {
    if (this.batch.size >= Math.min(this.options.batchLimit, this.writer.maxBatch)) this.flushNow('limit');
    else this.schedule();
  }

  afterCommit(listener: CommitListener, token: number): void {
    this.assertOpen();
    this.listeners.add(listener, token);
    this.schedule();
  }

  /** Before a read: every earlier write is on disk, or a StoreError says why not. */
  flushForRead(): void {
    this.flushNow('read');
  }

  /** Before a delayed read: it sees the buffered batch through the overlay, unless a buffered delete hides rows. */
  beforeDelayedRead(): void {
    if (this.closed) throw closedError();
    // The overlay holds the batch being buffered; batches already sent are seen once committed.
    if (this.batch.delayed.hidesRows || this.writer.lastCommitted < this.delayedSeq) this.flushNow('read');
  }

  purge(queueId: number): number {
    this.flushNow('read');
    return this.writer.purge(queueId);
  }

  reclaim(maxPages: number): number {
    return this.closed ? 0 : this.writer.reclaim(maxPages);
  }

  flush(): Promise<void> {
    try {
      this.flushNow('flush');
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes what is buffered (throwing if it cannot), then stops the writers, whatever happened. */
  close(): void {
    if (this.closed) return;
    try {
      this.flushNow('flush');
    } finally {
      this.closed = true;
      if (this.immediate) clearImmediate(this.immediate);
      this.immediate = undefined;
      this.writer.close();
      this.starting?.close();
    }
  }

  /** Whether batches are written by the writer thread ('running'), for tests and metrics. */
  threadState(): 'none' | 'starting' | 'running' {
    if (this.starting !== undefined) return 'starting';
    return this.threadRunning ? 'running' : 'none';
  }

  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  private schedule(): void {
    if (this.immediate === undefined) this.immediate = setImmediate(this.onImmediate);
  }

  /**
   * Hands the buffered batch to the writer and its listeners over to be called once it is committed. 'read' and
   * 'flush' throw a StoreError if it cannot be written; the others leave that to the writer's retry.
   */
  private flushNow(mode: FlushMode): void {
    if (this.closed) {
      if (mode === 'read' || mode === 'flush') throw closedError();
      return;
    }
    const writer = this.writer;
    const hasWrites =
      this.batch.size > 0 ||
      this.lastMessageId !== this.persistedMessageId ||
      this.lastDelayedId !== this.persistedDelayedId;
    let unsent = hasWrites;
    if (hasWrites && writer.takes(mode)) {
      const lastMessageId = this.lastMessageId !== this.persistedMessageId ? this.lastMessageId : 0;
      const lastDelayedId = this.lastDelayedId !== this.persistedDelayedId ? this.lastDelayedId : 0;
      const seq = writer.send(this.batch.ops, lastMessageId, lastDelayedId);
      if (seq !== undefined) {
        if (this.batch.hasDelayedWrites) this.delayedSeq = seq;
        this.persistedMessageId = this.lastMessageId;
        this.persistedDelayedId = this.lastDelayedId;
        this.batch.clear();
        unsent = false;
      }
    }
    // Listeners wait for the batch they were registered in; with nothing unsent, for the last one sent.
    if (!unsent) {
      if (writer.behind) this.listeners.holdPending(writer.lastSent);
      else this.listeners.commitPending();
    }
    if (mode === 'read' || mode === 'flush') writer.waitCommitted();
    this.scheduleCommitted(mode);
  }

  /** Calls committed listeners now ('turn', 'retry'), or on a microtask when inside a store call. */
  private scheduleCommitted(mode: FlushMode): void {
    if (!this.listeners.hasCommitted) return;
    if (mode === 'turn' || mode === 'retry') this.callCommitted();
    else if (!this.drainQueued) {
      this.drainQueued = true;
      queueMicrotask(this.drainCommitted);
    }
  }

  /** The writer committed batches up to seq: their listeners are called, in order. */
  private committed(seq: number, written: number, sync: boolean): void {
    const c = this.counters;
    c.commits++;
    c.opsWritten += written;
    if (written > c.largestBatch) c.largestBatch = written;
    this.listeners.commitThrough(seq);
    if (sync || this.closed) {
      this.scheduleCommitted('read');
      return;
    }
    this.callCommitted();
    // What gathered during that commit goes now (the listeners just called may have added to it).
    if (this.immediate === undefined) this.flushNow('turn');
  }

  private startThread(): WriterThread {
    const thread = new WriterThread(this.file, this.options.durability, this.events);
    this.starting = thread;
    return thread;
  }

  /**
   * The thread is ready and becomes the writer. The inline writer holds nothing (a batch it could not write stays
   * buffered here), so it just stops; what is buffered goes to the thread on the next turn.
   */
  private adopt(thread: WriterThread): void {
    if (thread !== this.starting || this.closed) return;
    this.starting = undefined;
    this.writer.close();
    this.writer = thread;
    this.threadRunning = true;
    this.delayedSeq = 0;
    if (this.batch.size > 0) this.schedule();
  }

  private callCommitted(): void {
    this.listeners.callCommitted((err) => this.logger?.error({ err }, 'commit listener threw'));
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function closedError(): StoreError {
  return new StoreError('STORE_CLOSED', 'the store is closed');
}
