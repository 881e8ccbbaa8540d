import type { Logger } from 'pino';
import { CommitListeners } from './commit-listeners';
import { StoreError } from './errors';
import type { Op } from './ops';
import { PendingBatch } from './pending';
import type { CommitListener, StoreHealthListener } from './store';

/*
 * What the group commits of the SQLite and PostgreSQL stores share, on the broker's thread: the batch being
 * buffered (pending.ts), the message and delayed-message id counters that go with it, the afterCommit listeners, and
 * when a batch goes and when listeners are called.
 *
 * The batch goes on the next setImmediate (the writes of one event-loop turn share one commit), or when the backend
 * says so (afterPush: a full batch). Listeners registered up to a batch are called, in order, once the backend
 * reports it committed (committed()): directly when that happened in a turn of its own, on a microtask when it
 * happened inside a store call (a full batch, a read that had to flush first), so a caller is never re-entered.
 *
 * A backend says where a batch goes and whether it goes now (sendBatch), whether batches it took are still
 * uncommitted (behind, lastSent), and what a caller that needs every earlier write waits for (waitCommitted).
 */

/**
 * Why the buffered batch is being handed over: 'turn' (the setImmediate after the writes of a turn), 'limit' (the
 * buffer is full), 'read' and 'flush' (a caller needs every earlier write committed, and an error if it cannot be),
 * 'retry' (the writer asked for the batch again after a failure; SQLite only).
 */
export type FlushMode = 'turn' | 'limit' | 'read' | 'flush' | 'retry';

export abstract class GroupCommitBase {
  /** The batch being buffered. */
  readonly batch = new PendingBatch();
  closed = false;
  /** Told when writes fail, recover, or stop for good (the broker's disk alarm). */
  health: StoreHealthListener | undefined;

  abstract readonly counters: { commits: number; opsWritten: number };

  private readonly listeners = new CommitListeners();
  private lastMessageId: number;
  /** lastMessageId when the buffered batch began: messages above it have every enqueue so far in this batch. */
  private batchBaseMessageId: number;
  private persistedMessageId: number;
  private lastDelayedId: number;
  private persistedDelayedId: number;
  private immediate: NodeJS.Immediate | undefined;
  /** Committed listeners are to be called on a microtask. */
  private drainQueued = false;

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.flushNow('turn');
  };
  private readonly addSettled = (listener: CommitListener, token: number): void => this.listeners.addCommitted(listener, token);
  private readonly addPending = (listener: CommitListener, token: number): void => this.listeners.add(listener, token);
  private readonly drainCommitted = (): void => {
    this.drainQueued = false;
    this.callCommitted();
  };

  constructor(
    protected readonly logger: Logger | undefined,
    ids: { lastMessageId: number; lastDelayedId: number },
  ) {
    this.lastMessageId = this.persistedMessageId = this.batchBaseMessageId = ids.lastMessageId;
    this.lastDelayedId = this.persistedDelayedId = ids.lastDelayedId;
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

  push(op: Op): void {
    this.assertOpen();
    this.batch.push(op);
    this.afterPush();
  }

  /** An op joined the batch: it goes on the next turn, or now when the batch is full. */
  abstract afterPush(): void;

  /**
   * `messageId` (a publisher confirm): when that message is still to be written by the buffered batch, the listener
   * waits on it alone (pending.ts attach), so an ack of every copy before the batch goes calls it without a write.
   */
  afterCommit(listener: CommitListener, token: number, messageId = 0): void {
    this.assertOpen();
    // A message id handed out before this batch began may have an enqueue in an earlier batch (one that went when
    // full, in the middle of routing): its confirm waits for the batch.
    if (messageId <= this.batchBaseMessageId || !this.batch.attach(messageId, listener, token)) this.listeners.add(listener, token);
    this.schedule();
  }

  /** A removal may have settled attached confirms (pending.ts remove): they are called on a microtask. */
  removed(): void {
    if (!this.batch.hasSettled) return;
    this.batch.takeSettled(this.addSettled);
    this.scheduleCommitted('read');
  }

  /** Before a read: every earlier write is committed, or a StoreError says why not. */
  flushForRead(): void {
    this.flushNow('read');
  }

  // ---- what a backend provides ----

  /** Batches handed over and not yet committed. */
  protected abstract get behind(): boolean;
  /** The number of the last batch handed over. */
  protected abstract get lastSent(): number;
  /**
   * Called first by every flush of an open store: false when nothing can be handed over (the backend can write no
   * more; for 'read' and 'flush' it throws instead).
   */
  protected writable(_mode: FlushMode): boolean {
    return true;
  }
  /**
   * Hands the buffered batch (this.batch.ops, with messageIdToPersist and delayedIdToPersist) over, if it goes now
   * for this reason; returns whether it did (the batch then starts anew).
   */
  protected abstract sendBatch(mode: FlushMode): boolean;
  /** After a flush: waits, if this mode must, until what was handed over is committed (StoreError if it cannot be). */
  protected abstract waitCommitted(mode: FlushMode): void;

  /** The message-id counter to persist with the batch being handed over; 0: unchanged. */
  protected get messageIdToPersist(): number {
    return this.lastMessageId !== this.persistedMessageId ? this.lastMessageId : 0;
  }

  /** The delayed-message-id counter to persist with the batch being handed over; 0: unchanged. */
  protected get delayedIdToPersist(): number {
    return this.lastDelayedId !== this.persistedDelayedId ? this.lastDelayedId : 0;
  }

  // ---- scheduling ----

  protected schedule(): void {
    if (this.immediate === undefined) this.immediate = setImmediate(this.onImmediate);
  }

  /** The store closes: no batch goes on a later turn. */
  protected markClosed(): void {
    this.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /**
   * Hands the buffered batch over and its listeners over to be called once it is committed. 'read' and 'flush'
   * throw a StoreError if it cannot be written; the others leave that to the backend's retry.
   */
  protected flushNow(mode: FlushMode): void {
    if (this.closed) {
      if (mode === 'read' || mode === 'flush') throw closedError();
      return;
    }
    if (!this.writable(mode)) return;
    const hasWrites =
      this.batch.size > 0 ||
      this.lastMessageId !== this.persistedMessageId ||
      this.lastDelayedId !== this.persistedDelayedId;
    let unsent = hasWrites;
    if (hasWrites && this.sendBatch(mode)) {
      this.persistedMessageId = this.lastMessageId;
      this.persistedDelayedId = this.lastDelayedId;
      this.batch.detachListeners(this.addPending);
      this.batch.clear();
      this.batchBaseMessageId = this.lastMessageId;
      unsent = false;
    }
    // Listeners wait for the batch they were registered in; with nothing unsent, for the last one sent.
    if (!unsent) {
      if (this.behind) this.listeners.holdPending(this.lastSent);
      else this.listeners.commitPending();
    }
    this.waitCommitted(mode);
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

  /**
   * The backend committed batches up to seq (`sync`: it reported that inside a store call): their listeners are
   * called, in order.
   */
  protected committed(seq: number, written: number, sync: boolean): void {
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
