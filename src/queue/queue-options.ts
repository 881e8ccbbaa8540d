import type { FieldTable } from '../protocol/field-table';
import type { Clock } from '../util/clock';
import type { QueueSettings } from './arguments';
import type { DeathReason } from './dead-letter';
import type { Message, StoredMessageParts } from './message';
import type { Queue } from './queue';

/** A publisher waiting for a congested queue to drain. */
export interface FlowListener {
  queueRelieved(queue: Queue): void;
}

export interface QueueOptions {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** The owning connection (opaque) for exclusive queues, null otherwise. */
  readonly exclusiveOwner: object | null;
  readonly arguments: FieldTable;
  /** The arguments' meaning, checked by parseQueueArguments; defaults when absent. */
  readonly settings?: QueueSettings;
  /** What the queue reads the time and arms its timers with (TTL, x-expires); the system clock when absent. */
  readonly clock?: Clock;
}

export interface QueueHooks {
  /** An auto-delete queue lost its last consumer, or an x-expires queue went unused for its period. */
  unused(queue: Queue): void;
  /**
   * A message leaves the queue for its dead-letter exchange (x-dead-letter-exchange is set). Called before the
   * queue lets go of the stored original, which `release` (given when there is one) does once the copy is safely
   * in its targets: a crash in between can duplicate the message but not lose it.
   */
  deadLetter?(queue: Queue, message: Message, reason: DeathReason, release?: () => void): void;
  /**
   * A message leaves the queue without being delivered, to be kept aside (quarantined): it could not be read back
   * from the store, or delivering it failed twice. Called before the queue lets go of the stored entry.
   */
  setAside?(queue: Queue, message: StoredMessageParts, reason: string): void;
  /** An unexpected exception in one of the queue's timers or callbacks; it was contained and the queue goes on. */
  error?(queue: Queue, err: unknown, during: string): void;
  /** Enough dead-letter copies wait that expiry should let them go first (it resumes on a later turn). */
  deadLetterCongested?(): boolean;
}
