import type { Logger } from 'pino';
import { CommitListeners } from '../commit-listeners';
import { StoreError } from '../errors';
import type { Op } from '../ops';
import { PendingBatch } from '../pending';
import type { CommitListener, StoreHealthListener } from '../store';
import { ioError, WorkerChannel, type ChannelOptions } from './channel';

/*
 * The PostgresStore's group commit, on the broker's thread: the batch being buffered (../pending.ts: an enqueue
 * whose remove arrives while both are buffered never reaches the database), the worker it goes to, and the
 * afterCommit listeners.
 *
 * The batch goes to the worker on the next setImmediate (the writes of one turn share one transaction) unless a
 * batch is in flight: then it gathers until the worker reports that commit, which sends it (one in flight, the next
 * gathering meanwhile; that also widens the window in which an enqueue and its ack cancel out). A batch that reaches
 * the limit is sent at once, after waiting (bounded) for the one in flight. Listeners are called once the worker
 * reports the PostgreSQL COMMIT of their batch: directly when that report arrives in a turn of its own, on a
 * microtask when it arrives inside a store call (a blocking read), so a caller is never re-entered.
 *
 * Failure: batches the worker could not commit stay queued there and are retried; listeners wait. Fenced, or the
 * worker gone: nothing is written or confirmed again (writerDead), reads and flush() fail with STORE_IO.
 */

export interface PostgresStoreCounters {
  /** Transactions the worker reported committed. */
  commits: number;
  /** Ops written by them (cancelled pairs not included). */
  opsWritten: number;
  /** Enqueue+remove pairs cancelled before reaching the database. */
  cancelled: number;
  /** putDelayed+removeDelayed pairs cancelled before reaching the database. */
  delayedCancelled: number;
  /** Batches sent to the worker. */
  batchesSent: number;
}

type FlushMode = 'turn' | 'limit' | 'read' | 'flush';

export class GroupCommit {
  readonly batch = new PendingBatch();
  readonly counters: PostgresStoreCounters = { commits: 0, opsWritten: 0, cancelled: 0, delayedCancelled: 0, batchesSent: 0 };
  readonly channel: WorkerChannel;
  closed = false;
  health: StoreHealthListener | undefined;

  private readonly listeners = new CommitListeners();
  private lastMessageId: number;
  private persistedMessageId: number;
  private lastDelayedId: number;
  private persistedDelayedId: number;
  private immediate: NodeJS.Immediate | undefined;
  private drainQueued = false;

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.flushNow('turn');
  };
  private readonly drainCommitted = (): void => {
    this.drainQueued = false;
    this.callCommitted();
  };

  constructor(
    options: ChannelOptions,
    private readonly batchLimit: number,
    private readonly logger: Logger | undefined,
    ids: { lastMessageId: number; lastDelayedId: number },
  ) {
    this.lastMessageId = this.persistedMessageId = ids.lastMessageId;
    this.lastDelayedId = this.persistedDelayedId = ids.lastDelayedId;
    this.channel = new WorkerChannel(options, {
      committed: (seq, written, sync) => this.committed(seq, written, sync),
      failed: (error) => {
        this.logger?.error({ err: error }, 'store batch failed; it will be retried');
        this.health?.writeFailed(error);
      },
      recovered: () => {
        this.logger?.info({}, 'store batch written after a failure');
        this.health?.writeRecovered();
      },
      dead: (error) => {
        this.logger?.fatal({ err: error }, 'the PostgreSQL store can write no more');
        this.health?.writerDead(error);
      },
      warn: (obj, msg) => this.logger?.warn(obj, msg),
    });
  }

  get failure(): string | undefined {
    return this.channel.dead ?? this.channel.failing;
  }

  nextMessageId(): number {
    return ++this.lastMessageId;
  }

  nextDelayedId(): number {
    return ++this.lastDelayedId;
  }

  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** A persistent message is being buffered: nothing to start, the worker runs from open. */
  messagesFlow(): void {}

  push(op: Op): void {
    this.assertOpen();
    this.batch.push(op);
    this.afterPush();
  }

  afterPush(): void {
    if (this.batch.size >= this.batchLimit) this.flushNow('limit');
    else this.schedule();
  }

  afterCommit(listener: CommitListener, token: number): void {
    this.assertOpen();
    this.listeners.add(listener, token);
    this.schedule();
  }

  /** Before a read: every earlier write is committed, or a StoreError says why not. */
  flushForRead(): void {
    this.flushNow('read');
  }

  flush(): Promise<void> {
    try {
      this.flushNow('flush');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.channel.flush();
  }

  purge(queueId: number): number {
    this.flushNow('read');
    return this.channel.purge(queueId);
  }

  /** Sends what is buffered, then has the worker commit it and record a clean stop; bounded by timeoutMs. */
  async close(timeoutMs: number): Promise<string | undefined> {
    if (this.closed) return undefined;
    try {
      this.flushNow('flush');
    } catch {
      // the close reports it below
    }
    this.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    return this.channel.close(this.channel.dead === undefined, timeoutMs);
  }

  private schedule(): void {
    if (this.immediate === undefined) this.immediate = setImmediate(this.onImmediate);
  }

  private flushNow(mode: FlushMode): void {
    if (this.closed) {
      if (mode === 'read' || mode === 'flush') throw closedError();
      return;
    }
    const ch = this.channel;
    if (ch.dead !== undefined) {
      if (mode === 'read' || mode === 'flush') throw ioError(ch.dead);
      return;
    }
    const hasWrites =
      this.batch.size > 0 || this.lastMessageId !== this.persistedMessageId || this.lastDelayedId !== this.persistedDelayedId;
    let unsent = hasWrites;
    if (hasWrites) {
      if (mode === 'limit' && ch.behind && ch.failing === undefined) ch.waitWhileWriting();
      if (mode !== 'turn' || !ch.behind) {
        const lastMessageId = this.lastMessageId !== this.persistedMessageId ? this.lastMessageId : 0;
        const lastDelayedId = this.lastDelayedId !== this.persistedDelayedId ? this.lastDelayedId : 0;
        ch.send(this.batch.ops, lastMessageId, lastDelayedId);
        this.counters.batchesSent++;
        this.persistedMessageId = this.lastMessageId;
        this.persistedDelayedId = this.lastDelayedId;
        this.batch.clear();
        unsent = false;
      }
    }
    if (!unsent) {
      if (ch.behind) this.listeners.holdPending(ch.lastSent);
      else this.listeners.commitPending();
    }
    if (mode === 'read') ch.waitCommitted();
    this.scheduleCommitted(mode);
  }

  private scheduleCommitted(mode: FlushMode): void {
    if (!this.listeners.hasCommitted) return;
    if (mode === 'turn') this.callCommitted();
    else if (!this.drainQueued) {
      this.drainQueued = true;
      queueMicrotask(this.drainCommitted);
    }
  }

  private committed(seq: number, written: number, sync: boolean): void {
    const c = this.counters;
    c.commits++;
    c.opsWritten += written;
    this.listeners.commitThrough(seq);
    if (sync || this.closed) {
      this.scheduleCommitted('read');
      return;
    }
    this.callCommitted();
    // What gathered during that commit goes now (the listeners just called may have added to it).
    if (this.immediate === undefined) this.flushNow('turn');
  }

  private callCommitted(): void {
    this.listeners.callCommitted((err) => this.logger?.error({ err }, 'commit listener threw'));
  }
}

export function closedError(): StoreError {
  return new StoreError('STORE_CLOSED', 'the store is closed');
}
