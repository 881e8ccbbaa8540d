import type { Queue } from './queue';
import type { QueueEntry } from './message';

/**
 * What a queue needs from a consumer. The channel implements it; the queue never sees channels.
 */
export interface QueueConsumer {
  readonly tag: string;
  readonly priority: number;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** True when prefetch, channel flow and the socket's write buffer allow one more delivery. */
  canAccept(): boolean;
  /** Hands one entry over. With noAck the entry is settled at once; otherwise the channel tracks it. */
  deliver(queue: Queue, entry: QueueEntry): void;
  /** The queue was deleted or the consumer was otherwise removed by the broker. */
  cancelledByBroker(queue: Queue): void;
  /**
   * deliver() threw: a bug, never client input. The consumer's connection is to be closed (541); the queue has
   * taken the entry back.
   */
  failed?(err: unknown): void;
}
