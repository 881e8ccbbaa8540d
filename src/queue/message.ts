import type { FieldTable } from '../protocol/field-table';
import { decodeBasicProperties } from '../protocol/generated/amqp';
import { checkProperties } from '../protocol/property-list';
import { encodedLength } from '../protocol/utf8';

/**
 * A published message as the broker keeps it: properties and body stay the bytes the publisher sent
 * and are re-sent as-is. One Message is shared by every queue it was routed to.
 */
export interface Message {
  /** The store's id once the message was written to it (persistent, routed to a durable queue); 0 otherwise. */
  id: number;
  /** delivery-mode 2: kept in the store when routed to a durable queue. */
  readonly persistent: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  /** Content-header property flags and list, exactly as received. */
  readonly properties: Buffer;
  readonly body: Buffer;
  /** The expiration property in ms (validated at publish), or -1 when the message has none. */
  readonly expiration: number;
  /** Decoded headers table, filled on first need (headers exchange, x-... features); null when absent. */
  headers: FieldTable | null | undefined;
  /**
   * The routing keys a dead-lettered copy was routed with (its dead-letter routing key, or the original keys);
   * absent for published messages, whose keys are the routing key plus the CC header.
   */
  readonly routingKeys?: readonly string[];
  /**
   * Its entries start redelivered: a delayed message routed again after an unclean stop, when the broker that
   * stopped may have routed and delivered it already (DelayedScheduler). Absent for every other message.
   */
  readonly redelivered?: boolean;
}

/** The parts of a message the store gives back. */
export interface StoredMessageParts {
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Buffer;
  readonly body: Buffer;
}

/**
 * What makes a message read back from the store unfit to deliver, or undefined when it is fine: the checks made at
 * publish (a file written by an older version, or edited, may hold what they would have refused). A delivery of it
 * could not be encoded, or a client could not decode it.
 */
export function storedMessageProblem(m: StoredMessageParts): string | undefined {
  if (!Buffer.isBuffer(m.properties) || !Buffer.isBuffer(m.body)) return 'stored record: properties or body is not bytes';
  if (typeof m.exchange !== 'string' || encodedLength(m.exchange) > 255) return 'stored record: exchange name does not fit a short string';
  if (typeof m.routingKey !== 'string' || encodedLength(m.routingKey) > 255) {
    return 'stored record: routing key does not fit a short string';
  }
  return checkProperties(m.properties);
}

/** Decodes a message's headers once and caches them on the message. */
export function headersOf(message: Message): FieldTable | undefined {
  if (message.headers === undefined) {
    const props = message.properties;
    message.headers = props.length >= 2 ? (decodeBasicProperties(props, 0, props.length).headers ?? null) : null;
  }
  return message.headers ?? undefined;
}

/** Where an entry is: in the queue's ready list, out with a consumer (unacked), or gone for good. */
export const enum EntryState {
  Ready = 0,
  Unacked = 1,
  Gone = 2,
}

/** A message's place in one queue. */
export interface QueueEntry {
  /** Replaced only when a redelivery must carry x-delivery-count (the stored message is not changed). */
  message: Message;
  /** Monotonic per queue: requeued entries go back to their original position by this number. */
  readonly seq: number;
  redelivered: boolean;
  /** Epoch ms after which the entry expires (x-message-ttl or the expiration property, the lower); 0 = never. */
  readonly expiresAt: number;
  /** Times the entry was returned to the queue (nack/reject with requeue, channel closed) since it was published. */
  returns: number;
  /** Priority level in a priority queue (0 otherwise). */
  readonly priority: number;
  state: EntryState;
  /** True while the entry waits in a durable queue's overflow list (a stored tail exists ahead of it). */
  overflowed: boolean;
  /**
   * Epoch ms when the message arrived in this queue, from the coarse clock (queue health: age of the oldest ready
   * message). For an entry
   * paged in from the store, the arrival the pager noted for it (paging.ts Arrivals), to within a second.
   */
  readonly arrivedAt: number;
}

export function newEntry(message: Message, seq: number, expiresAt: number, priority: number, arrivedAt = 0): QueueEntry {
  return { message, seq, redelivered: message.redelivered === true, expiresAt, returns: 0, priority, state: EntryState.Ready, overflowed: false, arrivedAt };
}
