import type Database from 'better-sqlite3';
import type { Clock, Timer } from '../../util/clock';
import { StoreError } from '../errors';
import { dropQueueEntries, writeBatches, type Op, type WarnLogger } from './ops';
import { describe } from './open';
import { Reclaimer, reclaimFreePages } from './reclaim';
import type { Statements } from './statements';
import { RETRY_MS, type BatchWriter, type FlushMode, type WriterEvents } from './writer';

/*
 * The writer that writes on the caller's thread, through the store's own connection: what a SqliteStore uses until
 * persistent messages flow (writerThread 'auto'), or always ('never'). A batch is written in one transaction when it
 * is sent, so nothing is ever in flight. One that fails is refused: it stays buffered in the store, where a later
 * removal can still cancel its enqueues and the delayed-message reads still see it, and after RETRY_MS the writer
 * asks for it again (or a read asks first, and is told the error if it fails again).
 * Free space is given back from here too, while this writer is the one that writes.
 */
export class InlineWriter implements BatchWriter {
  readonly maxBatch = Number.POSITIVE_INFINITY;
  readonly behind = false;
  private seq = 0;
  private retryTimer: Timer | undefined;
  /** A batch was refused and none has been written since; `failure` says why. */
  private failing = false;
  private failure: unknown;
  private readonly reclaimer: Reclaimer;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly st: Statements,
    private readonly fsync: boolean,
    private readonly logger: WarnLogger | undefined,
    private readonly events: WriterEvents,
    private readonly clock: Clock,
  ) {
    this.reclaimer = new Reclaimer(db, fsync, () => !this.closed, clock);
  }

  get lastSent(): number {
    return this.seq;
  }

  get lastCommitted(): number {
    return this.seq;
  }

  /** While a failed batch waits for its retry, only reads, flushes and the retry itself write. */
  takes(mode: FlushMode): boolean {
    return !this.failing || (mode !== 'turn' && mode !== 'limit');
  }

  send(ops: Op[], lastMessageId: number, lastDelayedId: number): number | undefined {
    let written: number;
    try {
      written = writeBatches(this.st, () => this.db.inTransaction, [ops], lastMessageId, lastDelayedId, this.logger);
    } catch (err) {
      this.failing = true;
      this.failure = err;
      this.events.failed(err, ops.length);
      if (this.retryTimer === undefined) this.retryTimer = this.clock.setTimeout(this.onRetry, RETRY_MS);
      return undefined;
    }
    if (this.failing) {
      if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.failing = false;
      this.failure = undefined;
      this.events.recovered();
    }
    const seq = ++this.seq;
    this.events.committed(seq, written, true);
    return seq;
  }

  waitCommitted(): void {
    if (this.failing) throw ioError('write', this.failure);
  }

  purge(queueId: number): number {
    try {
      this.st.begin.run();
      const n = dropQueueEntries(this.st, queueId);
      this.st.commit.run();
      return n;
    } catch (err) {
      if (this.db.inTransaction) this.st.rollback.run();
      throw ioError('purge', err);
    }
  }

  reclaim(maxPages: number): number {
    return reclaimFreePages(this.db, maxPages, this.fsync);
  }

  close(): void {
    this.closed = true;
    this.reclaimer.stop();
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private readonly onRetry = (): void => {
    this.retryTimer = undefined;
    this.events.retry();
  };
}

export function ioError(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError('STORE_IO', `store ${what} failed: ${describe(err)}`, { cause: err });
}
