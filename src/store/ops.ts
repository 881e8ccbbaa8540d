import { encodeTable, type FieldTable } from '../protocol/field-table';
import { canonicalArgumentsKey } from './keys';
import type { DelayedOp } from './delayed-ops';
import type {
  AuditRecord,
  BindingRecord,
  CommitListener,
  ExchangeRecord,
  MessageRecord,
  PermissionRecord,
  QuarantineRecord,
  QueueRecord,
  UserRecord,
  VhostRecord,
} from './store';

/*
 * A store's buffered writes: one op per store call, in call order. Backend-neutral: the SQLite store applies them in
 * its group-commit transaction (sqlite/ops.ts), the PostgreSQL store in its worker's (postgres/apply.ts).
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
// 18-20: delayed-message ops (delayed-ops.ts)
export const QUARANTINE = 21;
export const AUDIT = 22;
export const PRUNE_AUDIT = 23;

export interface PendingMessage {
  readonly record: MessageRecord;
  /** Live (not cancelled) enqueues of this batch that reference it. */
  live: number;
  /** Written in the transaction being applied. */
  written: boolean;
  /**
   * The publisher confirm waiting on this message alone (afterCommit with its id): called as soon as every enqueue
   * of it is cancelled by a final removal (an ack), or moved to the batch's listeners when the batch goes.
   */
  listener?: CommitListener;
  token?: number;
  /** An enqueue of it was cancelled by something other than a final removal (dead-lettering, a queue deleted). */
  released?: boolean;
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
