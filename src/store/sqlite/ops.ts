import { injectedFault } from './fault';
import { encodeTable, type FieldTable } from '../../protocol/field-table';
import { canonicalArgumentsKey } from '../keys';
import { nameColumn } from './text';
import { applyDelayedOp, DELETE_DELAYED, PUT_DELAYED, REMOVE_DELAYED, type DelayedOp } from './delayed';
import type { Statements } from './statements';
import type {
  AuditRecord,
  BindingRecord,
  ExchangeRecord,
  MessageRecord,
  PermissionRecord,
  QuarantineRecord,
  QueueRecord,
  UserRecord,
  VhostRecord,
} from '../store';

/*
 * The SqliteStore's buffered writes: one op per store call, in call order, and how a batch of them is applied inside
 * the group-commit transaction (see group-commit.ts).
 */

// ---- buffered ops ----

export const ENQUEUE = 1;
export const MARK = 2;
export const REMOVE = 3;
export const PUT_EXCHANGE = 4;
export const DELETE_EXCHANGE = 5;
export const PUT_QUEUE = 6;
export const DELETE_QUEUE = 7;
export const PUT_BINDING = 8;
export const DELETE_BINDING = 9;
export const PUT_VHOST = 10;
export const DELETE_VHOST = 11;
export const PUT_USER = 12;
export const DELETE_USER = 13;
export const PUT_PERMISSION = 14;
export const DELETE_PERMISSION = 15;
export const PUT_PARAMETER = 16;
export const DELETE_PARAMETER = 17;
// 18-20: delayed-message ops (delayed.ts)
export const QUARANTINE = 21;
export const AUDIT = 22;
export const PRUNE_AUDIT = 23;

export interface PendingMessage {
  readonly record: MessageRecord;
  /** Live (not cancelled) enqueues of this batch that reference it. */
  live: number;
  /** Written in the transaction being applied. */
  written: boolean;
}

export interface EnqueueOp {
  readonly kind: typeof ENQUEUE;
  readonly queueId: number;
  readonly seq: number;
  readonly message: PendingMessage;
  /** ms since the epoch; 0: never */
  readonly expiresAt: number;
  /** The entry's level in a priority queue; -1 for other queues' entries (stored as NULL). */
  readonly priority: number;
  redelivered: boolean;
  cancelled: boolean;
}

export interface MarkOp {
  readonly kind: typeof MARK;
  readonly queueId: number;
  readonly seq: number;
  cancelled: boolean;
}

export type EntryOp = EnqueueOp | MarkOp;

export type Op =
  | EntryOp
  | DelayedOp
  | { readonly kind: typeof REMOVE; readonly queueId: number; readonly seq: number }
  | { readonly kind: typeof PUT_EXCHANGE; readonly record: StoredRecord<ExchangeRecord> }
  | { readonly kind: typeof DELETE_EXCHANGE; readonly vhost: string; readonly name: string }
  | { readonly kind: typeof PUT_QUEUE; readonly id: number; readonly record: StoredRecord<QueueRecord> }
  | { readonly kind: typeof DELETE_QUEUE; readonly id: number; readonly vhost: string; readonly name: string }
  | { readonly kind: typeof PUT_BINDING; readonly record: StoredRecord<BindingRecord> }
  | { readonly kind: typeof DELETE_BINDING; readonly record: StoredRecord<BindingRecord> }
  | { readonly kind: typeof PUT_VHOST; readonly record: VhostRecord }
  | { readonly kind: typeof DELETE_VHOST; readonly name: string }
  | { readonly kind: typeof PUT_USER; readonly record: UserRecord }
  | { readonly kind: typeof DELETE_USER; readonly name: string }
  | { readonly kind: typeof PUT_PERMISSION; readonly record: PermissionRecord }
  | { readonly kind: typeof DELETE_PERMISSION; readonly user: string; readonly vhost: string }
  | {
      readonly kind: typeof PUT_PARAMETER;
      readonly component: string;
      readonly vhost: string;
      readonly name: string;
      /** The value's JSON text, made at put time (a later change to the value does not reach the store). */
      readonly json: string;
    }
  | { readonly kind: typeof DELETE_PARAMETER; readonly component: string; readonly vhost: string; readonly name: string }
  | { readonly kind: typeof QUARANTINE; readonly record: QuarantineRecord }
  | { readonly kind: typeof AUDIT; readonly record: AuditRecord }
  | { readonly kind: typeof PRUNE_AUDIT; readonly keep: number; readonly before: number };

/**
 * A definition record as an op carries it: its arguments table already encoded (args) and keyed (argsKey), so
 * that the op is plain data (strings, numbers, booleans, bytes) that can cross to the writer thread.
 */
export type StoredRecord<R extends { readonly arguments: FieldTable }> = Omit<R, 'arguments'> & {
  readonly args: Buffer;
  readonly argsKey: Buffer;
};

export function storedRecord<R extends { readonly arguments: FieldTable }>(record: R): StoredRecord<R> {
  const { arguments: table, ...rest } = record;
  return { ...rest, args: encodeTable(table), argsKey: canonicalArgumentsKey(table) };
}

/** What applyOps logs with: the broker's logger, or the writer thread's stand-in that posts to it. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface QueueDelta {
  count: number;
  bytes: number;
  lastSeq: number;
}

// ---- applying a batch ----

/**
 * One group-commit transaction, on the broker's thread or the writer thread: the batches' ops in order, each queue's
 * counters updated once, and the last message and delayed-message ids handed out (0: unchanged). Returns how many ops
 * were written. On failure it rolls back, marks the bodies as unwritten (the retry writes them again) and throws.
 */
export function writeBatches(
  st: Statements,
  inTransaction: () => boolean,
  batches: readonly (readonly Op[])[],
  lastMessageId: number,
  lastDelayedId: number,
  logger: WarnLogger | undefined,
): number {
  injectedFault();
  const deltas = new Map<number, QueueDelta>();
  let written = 0;
  st.begin.run();
  try {
    for (const ops of batches) written += applyOps(st, ops, deltas, logger);
    for (const [queueId, d] of deltas) st.addQueueDelta.run(d.count, d.bytes, d.lastSeq, d.lastSeq, queueId);
    if (lastMessageId > 0) st.putMeta.run('last_message_id', lastMessageId);
    if (lastDelayedId > 0) st.putMeta.run('last_delayed_id', lastDelayedId);
    st.commit.run();
  } catch (err) {
    if (inTransaction()) st.rollback.run();
    for (const ops of batches) for (const op of ops) if (op.kind === ENQUEUE) op.message.written = false;
    throw err;
  }
  return written;
}

/**
 * Inside a transaction: applies the ops in order, adding each queue's entry count, byte and last-seq changes to
 * `deltas`. Returns how many ops were written (cancelled ones not included).
 */
export function applyOps(
  st: Statements,
  ops: readonly Op[],
  deltas: Map<number, QueueDelta>,
  logger: WarnLogger | undefined,
): number {
  let written = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    switch (op.kind) {
      case ENQUEUE: {
        const delta = deltaFor(deltas, op.queueId);
        if (op.seq > delta.lastSeq) delta.lastSeq = op.seq;
        if (op.cancelled) break;
        const pending = op.message;
        const m = pending.record;
        if (!pending.written) {
          st.upsertMessage.run(m.id, nameColumn(m.exchange), nameColumn(m.routingKey), m.properties, m.body, pending.live);
          pending.written = true;
        }
        const inserted = st.insertEntry.run(
          op.queueId,
          op.seq,
          m.id,
          m.body.length,
          bit(op.redelivered),
          op.expiresAt,
          op.priority < 0 ? null : op.priority,
        );
        if (inserted.changes === 1) {
          delta.count++;
          delta.bytes += m.body.length;
        } else {
          logger?.warn({ queueId: op.queueId, seq: op.seq }, 'store: duplicate queue entry ignored');
          releaseMessage(st, m.id);
        }
        written++;
        break;
      }
      case MARK:
        if (!op.cancelled) {
          st.markEntry.run(op.queueId, op.seq);
          written++;
        }
        break;
      case REMOVE: {
        const row = st.removeEntry.get(op.queueId, op.seq);
        if (row !== undefined) {
          const delta = deltaFor(deltas, op.queueId);
          delta.count--;
          delta.bytes -= row.size;
          releaseMessage(st, row.message_id);
        }
        written++;
        break;
      }
      case PUT_EXCHANGE: {
        const r = op.record;
        st.putExchange.run(r.vhost, r.name, r.type, bit(r.durable), bit(r.autoDelete), bit(r.internal), r.args);
        written++;
        break;
      }
      case DELETE_EXCHANGE:
        st.deleteExchange.run(op.vhost, op.name);
        st.deleteBindingsOfExchange.run(op.vhost, op.name, op.name);
        written++;
        break;
      case PUT_QUEUE: {
        const r = op.record;
        st.putQueue.run(op.id, r.vhost, r.name, bit(r.durable), bit(r.autoDelete), r.args);
        written++;
        break;
      }
      case DELETE_QUEUE:
        if (op.id !== 0) dropQueue(st, op.id, deltas);
        st.deleteBindingsToQueue.run(op.vhost, op.name);
        written++;
        break;
      case PUT_BINDING: {
        const r = op.record;
        st.putBinding.run(r.vhost, r.source, r.destinationKind, r.destination, r.routingKey, r.argsKey, r.args);
        written++;
        break;
      }
      case DELETE_BINDING: {
        const r = op.record;
        st.deleteBinding.run(r.vhost, r.source, r.destinationKind, r.destination, r.routingKey, r.argsKey);
        written++;
        break;
      }
      case PUT_VHOST: {
        const r = op.record;
        st.putVhost.run(r.name, r.description, JSON.stringify(r.tags), r.defaultQueueType ?? null);
        written++;
        break;
      }
      case DELETE_VHOST: {
        const ids = st.queuesOfVhost.all(op.name);
        for (const { id } of ids) dropQueue(st, id, deltas);
        st.deleteExchangesOfVhost.run(op.name);
        st.deleteBindingsOfVhost.run(op.name);
        st.deletePermissionsOfVhost.run(op.name);
        if (op.name !== '') st.deleteParametersOfVhost.run(op.name); // '' holds the broker-wide ones
        st.delayed.deleteOfVhost.run(op.name);
        st.deleteQuarantineOfVhost.run(op.name);
        st.deleteVhost.run(op.name);
        written++;
        break;
      }
      case PUT_USER: {
        const r = op.record;
        st.putUser.run(r.name, r.passwordHash, r.hashingAlgorithm, JSON.stringify(r.tags));
        written++;
        break;
      }
      case DELETE_USER:
        st.deleteUser.run(op.name);
        st.deletePermissionsOfUser.run(op.name);
        written++;
        break;
      case PUT_PERMISSION: {
        const r = op.record;
        st.putPermission.run(r.user, r.vhost, r.configure, r.write, r.read);
        written++;
        break;
      }
      case DELETE_PERMISSION:
        st.deletePermission.run(op.user, op.vhost);
        written++;
        break;
      case PUT_PARAMETER:
        st.putParameter.run(op.component, op.vhost, op.name, op.json);
        written++;
        break;
      case DELETE_PARAMETER:
        st.deleteParameter.run(op.component, op.vhost, op.name);
        written++;
        break;
      case QUARANTINE: {
        const r = op.record;
        st.quarantine.run(r.vhost, r.queue, r.reason, r.at, nameColumn(r.exchange), nameColumn(r.routingKey), r.properties, r.body);
        written++;
        break;
      }
      case AUDIT: {
        const r = op.record;
        st.audit.insert.run(r.at, r.user, r.source, r.peer, r.vhost, r.action, r.objectType, r.objectName, r.details, r.result, r.reason);
        written++;
        break;
      }
      case PRUNE_AUDIT:
        st.audit.prune.run({ keep: op.keep, before: op.before });
        written++;
        break;
      case PUT_DELAYED:
      case REMOVE_DELAYED:
      case DELETE_DELAYED:
        written += applyDelayedOp(st.delayed, op);
        break;
    }
  }
  return written;
}

/** Inside a transaction: one reference to the message is gone; drop the body with the last one. */
function releaseMessage(st: Statements, messageId: number): void {
  if (st.dropMessageIfLast.run(messageId).changes === 0) st.decrementMessage.run(messageId);
}

/** Inside a transaction: deletes a queue's entries (releasing their messages); returns how many there were. */
export function dropQueueEntries(st: Statements, queueId: number): number {
  st.clearRefs.run();
  st.collectRefs.run(queueId);
  st.releaseRefs.run();
  st.dropReleased.run();
  const n = st.deleteEntriesOfQueue.run(queueId).changes;
  st.clearRefs.run();
  st.zeroQueueCounters.run(queueId);
  return n;
}

function dropQueue(st: Statements, queueId: number, deltas: Map<number, QueueDelta>): void {
  dropQueueEntries(st, queueId);
  st.deleteQueue.run(queueId);
  deltas.delete(queueId);
}

function deltaFor(deltas: Map<number, QueueDelta>, queueId: number): QueueDelta {
  let d = deltas.get(queueId);
  if (d === undefined) {
    d = { count: 0, bytes: 0, lastSeq: 0 };
    deltas.set(queueId, d);
  }
  return d;
}

function bit(b: boolean): number {
  return b ? 1 : 0;
}
