import type { Logger } from 'pino';
import { GroupCommitBase, type FlushMode } from '../group-commit-base';
import { writeError } from '../store-thread';
import { WorkerChannel, type ChannelOptions } from './channel';

/*
 * The PostgresStore's group commit, on the broker's thread: the batch being buffered (../pending.ts: an enqueue
 * whose remove arrives while both are buffered never reaches the database), the worker it goes to, and the
 * afterCommit listeners. What it shares with SQLite's (scheduling, ids, listeners) is ../group-commit-base.ts.
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

/**
 * A batch unanswered for this long holds deliveries (Store.deliveriesHeld): a partitioned leader otherwise went on
 * delivering from memory, and taking acks that could not commit, until its lease ran out, about 4 s: 800-950
 * messages came back per partition in the HA harness with a backlog. A slow commit under load (p99 about 60 ms)
 * stays well under it.
 */
const STALL_MS = 250;

export class GroupCommit extends GroupCommitBase {
  readonly counters: PostgresStoreCounters = { commits: 0, opsWritten: 0, cancelled: 0, delayedCancelled: 0, batchesSent: 0 };
  readonly channel: WorkerChannel;

  constructor(
    options: ChannelOptions,
    private readonly batchLimit: number,
    logger: Logger | undefined,
    ids: { lastMessageId: number; lastDelayedId: number },
  ) {
    super(logger, ids);
    this.stallWatch.unref();
    this.channel = new WorkerChannel(options, {
      committed: (seq, written, sync) => {
        this.progressAt = Date.now();
        this.committed(seq, written, sync);
        if (this.held) this.release();
      },
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

  /** See STALL_MS. */
  held = false;
  private progressAt = 0;
  private resumed: (() => void) | undefined;
  private readonly stallWatch = setInterval(() => {
    if (this.held || !this.channel.behind || Date.now() - this.progressAt <= STALL_MS) return;
    this.held = true;
    this.logger?.warn({ waitedMs: Date.now() - this.progressAt }, 'store commits stalled: durable queues hold their deliveries');
  }, STALL_MS / 5);

  onResumed(listener: () => void): void {
    this.resumed = listener;
  }

  private release(): void {
    this.held = false;
    this.logger?.info({}, 'store commits flow again: deliveries resume');
    this.resumed?.();
  }

  get failure(): string | undefined {
    return this.channel.dead ?? this.channel.failing;
  }

  /** A persistent message is being buffered: nothing to start, the worker runs from open. */
  messagesFlow(): void {}

  afterPush(): void {
    if (this.batch.size >= this.batchLimit) this.flushNow('limit');
    else this.schedule();
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
    this.markClosed();
    clearInterval(this.stallWatch);
    return this.channel.close(this.channel.dead === undefined, timeoutMs);
  }

  protected get behind(): boolean {
    return this.channel.behind;
  }

  protected get lastSent(): number {
    return this.channel.lastSent;
  }

  /** Fenced, or the worker gone: nothing goes, and a read or flush fails with STORE_IO. */
  protected override writable(mode: FlushMode): boolean {
    const dead = this.channel.dead;
    if (dead === undefined) return true;
    if (mode === 'read' || mode === 'flush') throw writeError(dead);
    return false;
  }

  /**
   * A batch in flight makes the next one gather (on a turn) or, full, wait (bounded) for it; otherwise it goes now.
   */
  protected sendBatch(mode: FlushMode): boolean {
    const ch = this.channel;
    if (mode === 'limit' && ch.behind && ch.failing === undefined) ch.waitWhileWriting();
    if (mode === 'turn' && ch.behind) return false;
    // The wait for a commit starts with the first batch sent while none is in flight.
    if (!ch.behind) this.progressAt = Date.now();
    ch.send(this.batch.ops, this.messageIdToPersist, this.delayedIdToPersist);
    this.counters.batchesSent++;
    return true;
  }

  protected waitCommitted(mode: FlushMode): void {
    if (mode === 'read') this.channel.waitCommitted();
  }
}
