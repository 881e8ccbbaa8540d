import { encodeParameterValue } from './parameter-value';
import { DELETE_DELAYED, REMOVE_DELAYED } from './delayed-ops';
import {
  AUDIT,
  DELETE_BINDING,
  DELETE_EXCHANGE,
  DELETE_PARAMETER,
  DELETE_PERMISSION,
  DELETE_QUEUE,
  DELETE_USER,
  DELETE_VHOST,
  PRUNE_AUDIT,
  PUT_BINDING,
  PUT_EXCHANGE,
  PUT_PARAMETER,
  PUT_PERMISSION,
  PUT_QUEUE,
  PUT_USER,
  PUT_VHOST,
  QUARANTINE,
  storedRecord,
  type Op,
} from './ops';
import type { PendingBatch } from './pending';
import type {
  AuditRecord,
  BindingRecord,
  CommitListener,
  DelayedRecord,
  ExchangeRecord,
  MessageRecord,
  ParameterRecord,
  PermissionRecord,
  QuarantineRecord,
  QueueRecord,
  StoreHealthListener,
  UserRecord,
  VhostRecord,
} from './store';

/*
 * The write side of a store with group commit (SqliteStore, PostgresStore): every write becomes an op in the batch
 * being buffered (pending.ts), and the backend's group commit (its `commit`) decides when a batch goes and to what.
 * This class holds what does not depend on the backend: the write methods, the queue-id registry (queue ids are
 * handed out here and survive restarts through the queues table, which a backend reads back at open), and the
 * durability calls that only forward to the commit. A backend keeps its reads, its commit machinery, open and close.
 *
 * Hot path (enqueue, markDelivered, remove): the same calls as a backend making them itself; no hook on the way.
 * The delayed-message hooks (delayedPut, delayedRemoved, delayedDropped) let a backend keep an index of its own
 * (PostgreSQL's, for the scheduler's reads); they do nothing by default.
 */

/** What the write side needs of a backend's group commit. */
export interface BatchCommit {
  /** The batch being buffered. */
  readonly batch: PendingBatch;
  readonly counters: { cancelled: number; delayedCancelled: number };
  readonly closed: boolean;
  /** Why writes fail now; undefined while they succeed. */
  readonly failure: string | undefined;
  health: StoreHealthListener | undefined;
  /** Throws StoreError STORE_CLOSED once the store is closed. */
  assertOpen(): void;
  /** Adds a definition op to the batch (checking that the store is open). */
  push(op: Op): void;
  /** An op joined the batch through it directly: it goes on the next turn, or now when the batch is full. */
  afterPush(): void;
  /** A persistent message is about to be buffered (SQLite starts its writer thread with the first). */
  messagesFlow(): void;
  nextMessageId(): number;
  nextDelayedId(): number;
  afterCommit(listener: CommitListener, token: number, messageId?: number): void;
  /** A final removal cancelled a buffered enqueue: confirms it settled are called. */
  removed(): void;
  flush(): Promise<void>;
  purge(queueId: number): number;
}

/** A stored queue as the registry is filled from at open. */
export interface QueueIdRow {
  readonly id: number;
  readonly vhost: string;
  readonly name: string;
}

export abstract class BufferedStore<C extends BatchCommit> {
  /** The backend's group commit; set by the backend's constructor. */
  protected abstract readonly commit: C;

  /** (vhost \0 name) -> queue id, and the reverse, for every stored queue. */
  protected readonly queueIdByName = new Map<string, number>();
  protected readonly queueNameById = new Map<number, { vhost: string; name: string }>();
  private nextQueueIdValue = 1;

  /** Fills the queue-id registry with the stored queues (at open); new ids start above the largest. */
  protected registerStoredQueues(rows: Iterable<QueueIdRow>): void {
    let maxQueueId = this.nextQueueIdValue - 1;
    for (const row of rows) {
      this.queueIdByName.set(key(row.vhost, row.name), row.id);
      this.queueNameById.set(row.id, { vhost: row.vhost, name: row.name });
      if (row.id > maxQueueId) maxQueueId = row.id;
    }
    this.nextQueueIdValue = maxQueueId + 1;
  }

  /** True while writes fail (a batch waits for its retry), or can never succeed again. */
  get writeFailing(): boolean {
    return this.commit.failure !== undefined;
  }

  onWriteHealth(listener: StoreHealthListener): void {
    this.commit.health = listener;
  }

  // ---- definitions ----

  putExchange(record: ExchangeRecord): void {
    this.push({ kind: PUT_EXCHANGE, record: storedRecord(record) });
  }

  deleteExchange(vhost: string, name: string): void {
    this.push({ kind: DELETE_EXCHANGE, vhost, name });
  }

  putQueue(record: QueueRecord): number {
    this.commit.assertOpen();
    const k = key(record.vhost, record.name);
    let id = this.queueIdByName.get(k);
    if (id === undefined) {
      id = this.nextQueueIdValue++;
      this.queueIdByName.set(k, id);
      this.queueNameById.set(id, { vhost: record.vhost, name: record.name });
    }
    this.push({ kind: PUT_QUEUE, id, record: storedRecord(record) });
    return id;
  }

  deleteQueue(vhost: string, name: string): void {
    this.commit.assertOpen();
    const k = key(vhost, name);
    const id = this.queueIdByName.get(k);
    if (id !== undefined) {
      this.queueIdByName.delete(k);
      this.queueNameById.delete(id);
      this.commit.batch.cancelQueue(id);
    }
    this.push({ kind: DELETE_QUEUE, id: id ?? 0, vhost, name });
  }

  putBinding(record: BindingRecord): void {
    this.push({ kind: PUT_BINDING, record: storedRecord(record) });
  }

  deleteBinding(record: BindingRecord): void {
    this.push({ kind: DELETE_BINDING, record: storedRecord(record) });
  }

  // ---- users, vhosts, permissions ----

  putVhost(record: VhostRecord): void {
    this.push({ kind: PUT_VHOST, record });
  }

  deleteVhost(name: string): void {
    this.commit.assertOpen();
    for (const [id, q] of this.queueNameById) {
      if (q.vhost !== name) continue;
      this.queueNameById.delete(id);
      this.queueIdByName.delete(key(q.vhost, q.name));
      this.commit.batch.cancelQueue(id);
    }
    this.commit.batch.delayed.drop(name, undefined);
    this.delayedDropped(name, undefined);
    this.push({ kind: DELETE_VHOST, name });
  }

  putUser(record: UserRecord): void {
    this.push({ kind: PUT_USER, record });
  }

  deleteUser(name: string): void {
    this.push({ kind: DELETE_USER, name });
  }

  putPermission(record: PermissionRecord): void {
    this.push({ kind: PUT_PERMISSION, record });
  }

  deletePermission(user: string, vhost: string): void {
    this.push({ kind: DELETE_PERMISSION, user, vhost });
  }

  // ---- runtime parameters ----

  putParameter(record: ParameterRecord): void {
    this.commit.assertOpen();
    const json = encodeParameterValue(record.value);
    this.push({ kind: PUT_PARAMETER, component: record.component, vhost: record.vhost, name: record.name, json });
  }

  deleteParameter(component: string, vhost: string, name: string): void {
    this.push({ kind: DELETE_PARAMETER, component, vhost, name });
  }

  // ---- persistent messages ----

  nextMessageId(): number {
    return this.commit.nextMessageId();
  }

  enqueue(queueId: number, seq: number, message: MessageRecord, expiresAt = 0, priority?: number): void {
    this.commit.assertOpen();
    if (!this.queueNameById.has(queueId)) return; // the queue is gone (or never was): nothing to keep
    this.commit.messagesFlow();
    this.commit.batch.enqueue(queueId, seq, message, expiresAt, priority ?? -1);
    this.commit.afterPush();
  }

  markDelivered(queueId: number, seq: number): void {
    this.commit.assertOpen();
    if (!this.queueNameById.has(queueId)) return;
    if (this.commit.batch.markDelivered(queueId, seq)) this.commit.afterPush();
  }

  remove(queueId: number, seq: number, _messageId: number, final = false): void {
    this.commit.assertOpen();
    if (!this.queueNameById.has(queueId)) return; // deleted with its entries
    if (this.commit.batch.remove(queueId, seq, final)) {
      this.commit.counters.cancelled++; // neither reaches disk
      if (final) this.commit.removed();
    } else this.commit.afterPush();
  }

  purge(queueId: number): number {
    return this.commit.purge(queueId);
  }

  // ---- delayed messages ----

  nextDelayedId(): number {
    return this.commit.nextDelayedId();
  }

  putDelayed(record: DelayedRecord): void {
    this.commit.assertOpen();
    this.commit.batch.putDelayed(record);
    this.delayedPut(record);
    this.commit.afterPush();
  }

  removeDelayed(id: number): void {
    this.commit.assertOpen();
    this.delayedRemoved(id);
    if (this.commit.batch.delayed.remove(id)) {
      this.commit.counters.delayedCancelled++;
      return; // neither the put nor the removal reaches the database
    }
    this.push({ kind: REMOVE_DELAYED, id });
  }

  deleteDelayed(vhost: string, exchange: string): void {
    this.commit.assertOpen();
    this.commit.batch.delayed.drop(vhost, exchange);
    this.delayedDropped(vhost, exchange);
    this.push({ kind: DELETE_DELAYED, vhost, exchange });
  }

  // ---- quarantine, audit log ----

  quarantine(record: QuarantineRecord): void {
    this.push({ kind: QUARANTINE, record });
  }

  audit(record: AuditRecord): void {
    this.push({ kind: AUDIT, record });
  }

  pruneAudit(keep: number, before: number): void {
    this.push({ kind: PRUNE_AUDIT, keep: Math.max(0, keep), before });
  }

  // ---- durability ----

  afterCommit(listener: CommitListener, token: number, messageId = 0): void {
    this.commit.afterCommit(listener, token, messageId);
  }

  flush(): Promise<void> {
    return this.commit.flush();
  }

  // ---- hooks for a backend's own delayed-message index ----

  /** A delayed message joined the batch (after the store-open check, before the batch may go). */
  protected delayedPut(_record: DelayedRecord): void {}

  /** A delayed message is being removed (before its buffered put, if any, is cancelled). */
  protected delayedRemoved(_id: number): void {}

  /** The delayed messages of an exchange (or, exchange undefined, of a whole vhost) are being deleted. */
  protected delayedDropped(_vhost: string, _exchange: string | undefined): void {}

  protected push(op: Op): void {
    this.commit.push(op);
  }
}

function key(a: string, b: string): string {
  return `${a}\u0000${b}`;
}
