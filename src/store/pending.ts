import { DelayedOverlay, PUT_DELAYED, type PutDelayedOp } from './delayed-ops';
import {
  ENQUEUE,
  MARK,
  REMOVE,
  type EnqueueOp,
  type EntryOp,
  type MarkOp,
  type Op,
  type PendingMessage,
} from './ops';
import type { CommitListener, DelayedRecord, MessageRecord } from './store';

/*
 * A store's batch being buffered (SQLite's and PostgreSQL's group commit): its ops in call order, and what lets a later op cancel an earlier one of
 * the same batch.
 *   - An enqueue whose remove arrives while both are buffered is cancelled: neither reaches disk, and a body that no
 *     live enqueue of the batch references is not written (RabbitMQ's msg_store does the same for a write whose
 *     remove came first).
 *   - A markDelivered of a buffered enqueue sets the flag on the insert; one whose remove follows is dropped.
 *   - A putDelayed whose removeDelayed follows is cancelled; the scheduler's reads see the batch's delayed writes
 *     through `delayed` (delayed.ts).
 *   - A publisher confirm waiting on one message of the batch (attach) goes out as soon as every enqueue of that
 *     message is cancelled by a final removal (a consumer's ack: nothing will take the message anywhere else), as
 *     RabbitMQ confirms a message every queue has had acked before its write. Once the batch goes, the confirms of
 *     messages still to be written wait for its commit like any listener (detachListeners).
 */
export class PendingBatch {
  ops: Op[] = [];
  /** The batch's delayed-message writes, as the scheduler's reads see them. */
  readonly delayed = new DelayedOverlay();
  /** queueId -> seq -> the buffered enqueue or mark of that entry */
  private entryOps = new Map<number, Map<number, EntryOp>>();
  private messages = new Map<number, PendingMessage>();
  /** Messages with confirms attached: the only ones detachListeners looks at. */
  private attached: PendingMessage[] = [];
  /** Confirms whose message needs no write any more: the group commit calls them (takeSettled). */
  private settledListeners: CommitListener[] = [];
  private settledTokens: number[] = [];

  get size(): number {
    return this.ops.length;
  }

  push(op: Op): void {
    this.ops.push(op);
  }

  enqueue(queueId: number, seq: number, message: MessageRecord, expiresAt: number, priority: number): void {
    let pending = this.messages.get(message.id);
    if (pending === undefined) {
      pending = { record: message, live: 0, written: false };
      this.messages.set(message.id, pending);
    }
    pending.live++;
    const op: EnqueueOp = {
      kind: ENQUEUE,
      queueId,
      seq,
      message: pending,
      expiresAt: expiresAt > 0 ? expiresAt : 0,
      priority,
      redelivered: message.redelivered === true,
      cancelled: false,
    };
    this.entriesOf(queueId).set(seq, op);
    this.ops.push(op);
  }

  /** Returns true when a mark op joined the batch (false: the buffered enqueue or mark already carries it). */
  markDelivered(queueId: number, seq: number): boolean {
    const bySeq = this.entriesOf(queueId);
    const buffered = bySeq.get(seq);
    if (buffered !== undefined) {
      if (buffered.kind === ENQUEUE) buffered.redelivered = true;
      return false;
    }
    const op: MarkOp = { kind: MARK, queueId, seq, cancelled: false };
    bySeq.set(seq, op);
    this.ops.push(op);
    return true;
  }

  /**
   * Returns true when the removal cancelled a buffered enqueue, so that nothing is to be written. `final`: the entry
   * went for good (acked, or dropped with nowhere to go), so a message with no live enqueue left and only final
   * removals is settled: its attached confirms go to takeSettled.
   */
  remove(queueId: number, seq: number, final = false): boolean {
    const bySeq = this.entryOps.get(queueId);
    const buffered = bySeq?.get(seq);
    if (buffered !== undefined) {
      bySeq!.delete(seq);
      buffered.cancelled = true;
      if (buffered.kind === ENQUEUE) {
        const m = buffered.message;
        m.live--;
        if (!final) m.released = true;
        else if (m.live === 0 && m.released !== true && m.listener !== undefined) this.settle(m);
        return true;
      }
    }
    this.ops.push({ kind: REMOVE, queueId, seq });
    return false;
  }

  /** The queue is being deleted: its buffered enqueues and marks will not reach disk. */
  cancelQueue(queueId: number): void {
    const bySeq = this.entryOps.get(queueId);
    if (bySeq === undefined) return;
    for (const op of bySeq.values()) {
      op.cancelled = true;
      if (op.kind === ENQUEUE) {
        op.message.live--;
        op.message.released = true;
      }
    }
    this.entryOps.delete(queueId);
  }

  /**
   * A confirm waiting on message `messageId` alone; false when the message has no live enqueue in this batch (its
   * write went with an earlier batch, or nothing of it is buffered) or already has one: the caller then waits for
   * the batch instead.
   */
  attach(messageId: number, listener: CommitListener, token: number): boolean {
    const m = this.messages.get(messageId);
    if (m === undefined || m.live === 0 || m.listener !== undefined) return false;
    m.listener = listener;
    m.token = token;
    this.attached.push(m);
    return true;
  }

  /** Whether removals settled attached confirms since the last takeSettled. */
  get hasSettled(): boolean {
    return this.settledListeners.length > 0;
  }

  /** Hands the settled confirms to `to` (in the order their messages were settled) and forgets them. */
  takeSettled(to: (listener: CommitListener, token: number) => void): void {
    const listeners = this.settledListeners;
    const tokens = this.settledTokens;
    this.settledListeners = [];
    this.settledTokens = [];
    for (let i = 0; i < listeners.length; i++) to(listeners[i]!, tokens[i]!);
  }

  /** The batch goes: the confirms still attached to its messages wait for its commit; `to` gets them. */
  detachListeners(to: (listener: CommitListener, token: number) => void): void {
    for (const m of this.attached) {
      if (m.listener === undefined) continue;
      to(m.listener, m.token!);
      m.listener = undefined;
    }
    this.attached = [];
  }

  putDelayed(record: DelayedRecord): void {
    const op: PutDelayedOp = { kind: PUT_DELAYED, record, cancelled: false };
    this.delayed.put(op);
    this.ops.push(op);
  }

  /** Whether the batch writes delayed messages (the scheduler's reads must see it once it is sent). */
  get hasDelayedWrites(): boolean {
    const d = this.delayed;
    return d.puts.size > 0 || d.removed.size > 0 || d.hidesRows;
  }

  /** The batch was written or sent: the next one starts empty (its confirms detached first). */
  clear(): void {
    this.ops = [];
    this.entryOps = new Map();
    this.messages = new Map();
    this.attached = [];
    this.delayed.clear();
  }

  private settle(m: PendingMessage): void {
    this.settledListeners.push(m.listener!);
    this.settledTokens.push(m.token!);
    m.listener = undefined;
  }

  private entriesOf(queueId: number): Map<number, EntryOp> {
    let bySeq = this.entryOps.get(queueId);
    if (bySeq === undefined) {
      bySeq = new Map();
      this.entryOps.set(queueId, bySeq);
    }
    return bySeq;
  }
}
