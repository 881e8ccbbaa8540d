import type { FieldTable } from '../protocol/field-table';

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
  /** Decoded headers table, filled on first need (headers exchange, x-... features); null when absent. */
  headers: FieldTable | null | undefined;
}

/** A message's place in one queue. */
export interface QueueEntry {
  readonly message: Message;
  /** Monotonic per queue: requeued entries go back to their original position by this number. */
  readonly seq: number;
  redelivered: boolean;
}
