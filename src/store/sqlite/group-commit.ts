import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../../util/clock';
import { closedError, GroupCommitBase } from '../group-commit-base';
import { InlineWriter, ioError } from './inline-writer';
import type { Statements } from './statements';
import { WriterThread, type ThreadEvents } from './thread-writer';
import type { BatchWriter, FlushMode } from './writer';

/*
 * A SqliteStore's group commit: the batch being buffered, its writer, and the afterCommit listeners. When a batch
 * goes and when listeners are called is the shared part (../group-commit-base.ts); this file adds the writers.
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

export class GroupCommit extends GroupCommitBase {
  readonly counters: SqliteStoreCounters = {
    commits: 0,
    opsWritten: 0,
    cancelled: 0,
    delayedCancelled: 0,
    largestBatch: 0,
  };
  /** Why writes fail now (a batch waits for its retry, or the writer thread is gone); undefined while they succeed. */
  failure: string | undefined;

  private writer: BatchWriter;
  /** The writer thread while it starts (it becomes the writer once ready). */
  private starting: WriterThread | undefined;
  private threadRunning = false;
  /** The last batch sent with delayed-message writes (the scheduler's reads wait for its commit). */
  private delayedSeq = 0;

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
    super(options.logger, ids);
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

  /** A persistent message is being written: in 'auto' mode, the writer thread starts now. */
  messagesFlow(): void {
    if (this.options.writerThread === 'auto' && this.threadState() === 'none') this.startThread();
  }

  /** An op joined the batch: it is written on the next turn, or now when the batch is full. */
  afterPush(): void {
    if (this.batch.size >= Math.min(this.options.batchLimit, this.writer.maxBatch)) this.flushNow('limit');
    else this.schedule();
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
      this.markClosed();
      this.writer.close();
      this.starting?.close();
    }
  }

  /** Whether batches are written by the writer thread ('running'), for tests and metrics. */
  threadState(): 'none' | 'starting' | 'running' {
    if (this.starting !== undefined) return 'starting';
    return this.threadRunning ? 'running' : 'none';
  }

  protected get behind(): boolean {
    return this.writer.behind;
  }

  protected get lastSent(): number {
    return this.writer.lastSent;
  }

  protected sendBatch(mode: FlushMode): boolean {
    const writer = this.writer;
    if (!writer.takes(mode)) return false;
    const seq = writer.send(this.batch.ops, this.messageIdToPersist, this.delayedIdToPersist);
    if (seq === undefined) return false;
    if (this.batch.hasDelayedWrites) this.delayedSeq = seq;
    return true;
  }

  protected waitCommitted(mode: FlushMode): void {
    if (mode === 'read' || mode === 'flush') this.writer.waitCommitted();
  }

  protected override committed(seq: number, written: number, sync: boolean): void {
    if (written > this.counters.largestBatch) this.counters.largestBatch = written;
    super.committed(seq, written, sync);
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
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
