import type { QueueConsumer } from '../consumer';
import type { QueueEntry } from '../message';
import type { Queue } from '../queue';

/**
 * A consumer for queue tests: it records deliveries and accepts while it holds fewer than `limit` of them (the
 * test settles and removes them from `delivered` to make room) and while `accepting`. Without a limit it is a noAck
 * consumer unless told otherwise.
 */
export class FakeConsumer implements QueueConsumer {
  readonly delivered: QueueEntry[] = [];
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** cancelledByBroker calls. */
  cancelled = 0;
  accepting = true;
  /** Most entries the queue held in its ready lists at any delivery (paging tests). */
  maxHeld = 0;

  constructor(
    readonly tag = 'c',
    readonly priority = 0,
    public limit = Infinity,
    options: { readonly noAck?: boolean; readonly exclusive?: boolean } = {},
  ) {
    this.noAck = options.noAck ?? limit === Infinity;
    this.exclusive = options.exclusive ?? false;
  }

  canAccept(): boolean {
    return this.accepting && this.delivered.length < this.limit;
  }

  deliver(queue: Queue, entry: QueueEntry): void {
    this.delivered.push(entry);
    this.maxHeld = Math.max(this.maxHeld, queue.pager.readyLength);
  }

  cancelledByBroker(): void {
    this.cancelled++;
  }

  /** Bodies delivered so far, as strings. */
  get bodies(): string[] {
    return this.delivered.map((e) => e.message.body.toString());
  }
}
