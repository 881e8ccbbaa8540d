import { injectedFault } from './fault';
import { nameColumn } from './text';
import { applyDelayedOp, DELETE_DELAYED, PUT_DELAYED, REMOVE_DELAYED } from './delayed';
import type { Statements } from './statements';
import {
  AUDIT,
  DELETE_BINDING,
  DELETE_EXCHANGE,
  DELETE_PARAMETER,
  DELETE_PERMISSION,
  DELETE_QUEUE,
  DELETE_USER,
  DELETE_VHOST,
  ENQUEUE,
  MARK,
  PRUNE_AUDIT,
  PUT_BINDING,
  PUT_EXCHANGE,
  PUT_PARAMETER,
  PUT_PERMISSION,
  PUT_QUEUE,
  PUT_USER,
  PUT_VHOST,
  QUARANTINE,
  REMOVE,
  type Op,
} from '../ops';

/*
 * How the SqliteStore applies a batch of buffered ops (the ops themselves: ../ops.ts) inside the group-commit
 * transaction (see group-commit.ts).
 */

export * from '../ops';

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
