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
import type { DelayedRecord, MessageRecord } from './store';

/*
 * A store's batch being buffered (SQLite's and PostgreSQL's group commit): its ops in call order, and what lets a later op cancel an earlier one of
 * the same batch.
 *   - An enqueue whose remove arrives while both are buffered is cancelled: neither reaches disk, and a body that no
 *     live enqueue of the batch references is not written (RabbitMQ's msg_store does the same for a write whose
 *     remove came first).
 *   - A markDelivered of a buffered enqueue sets the flag on the insert; one whose remove follows is dropped.
 *   - A putDelayed whose removeDelayed follows is cancelled; the scheduler's reads see the batch's delayed writes
 *     through `delayed` (delayed.ts).
 */
export class PendingBatch {
  ops: Op[] = [];
  /** The batch's delayed-message writes, as the scheduler's reads see them. */
  readonly delayed = new DelayedOverlay();
  /** queueId -> seq -> the buffered enqueue or mark of that entry */
  private entryOps = new Map<number, Map<number, EntryOp>>();
  private messages = new Map<number, PendingMessage>();

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

  /** Returns true when the removal cancelled a buffered enqueue, so that nothing is to be written. */
  remove(queueId: number, seq: number): boolean {
    const bySeq = this.entryOps.get(queueId);
    const buffered = bySeq?.get(seq);
    if (buffered !== undefined) {
      bySeq!.delete(seq);
      buffered.cancelled = true;
      if (buffered.kind === ENQUEUE) {
        buffered.message.live--;
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
      if (op.kind === ENQUEUE) op.message.live--;
    }
    this.entryOps.delete(queueId);
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

  /** The batch was written or sent: the next one starts empty. */
  clear(): void {
    this.ops = [];
    this.entryOps = new Map();
    this.messages = new Map();
    this.delayed.clear();
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
