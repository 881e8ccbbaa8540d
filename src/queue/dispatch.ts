import type { QueueConsumer } from './consumer';
import { ConsumerList } from './consumer-list';
import type { QueueEntry } from './message';
import type { Queue } from './queue';

/** Deliveries one drain may make before yielding the event loop to other connections. */
const DRAIN_BUDGET = 2048;

/**
 * Dispatch to consumers: the queue's consumers, ordered by priority and served round-robin within one priority (or
 * only the first with x-single-active-consumer), prefetch enforced by each consumer's canAccept(), and the delivery
 * loop, bounded per turn; and basic.get.
 */
export class Dispatcher {
  /** By priority, highest first, round-robin within one; and in arrival order (the active one of x-single-active-consumer). */
  readonly consumers = new ConsumerList();
  /** Entries whose delivery threw once: a second failure sets them aside instead of retrying forever. */
  private faulted: WeakSet<QueueEntry> | undefined;

  constructor(private readonly queue: Queue) {}

  /** `now` is the caller's clock reading (0 when it has none): an entry expiring at `now` is still delivered. */
  deliverReady(now: number): void {
    const queue = this.queue;
    const { pager, figures, stats } = queue;
    // The store resumes the queue (VhostRegistry kicks every queue) once its commits flow again.
    if (pager.deliveriesHeld) return;
    let budget = DRAIN_BUDGET;
    for (;;) {
      if (pager.peek() === undefined) return;
      if (budget-- === 0) {
        queue.scheduleDrain();
        return;
      }
      const consumer = this.nextConsumer();
      if (consumer === undefined) return;
      const entry = pager.shift() as QueueEntry;
      figures.readyOut(entry.message);
      if (entry.expiresAt !== 0) {
        if (now === 0) now = queue.now();
        if (entry.expiresAt < now) {
          queue.drop(entry, 'expired');
          continue;
        }
      }
      try {
        consumer.deliver(queue, entry);
      } catch (err) {
        this.deliveryFailed(consumer, entry, err);
        continue;
      }
      if (consumer.noAck) stats.deliver_no_ack++;
      else {
        stats.deliver++;
        figures.unackedIn(entry.message);
      }
      if (entry.redelivered) stats.redeliver++;
      queue.delivered(entry, consumer.noAck);
    }
  }

  /**
   * basic.get: the next ready entry, or undefined when empty. With noAck it is settled at once. `handOver` sends it
   * first: if that throws, the entry goes back where it was, unchanged, and the error propagates.
   */
  take(noAck: boolean, handOver?: (entry: QueueEntry) => void): QueueEntry | undefined {
    const queue = this.queue;
    const { pager, figures } = queue;
    let entry: QueueEntry | undefined;
    for (;;) {
      entry = pager.shift();
      if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt > queue.now()) break;
      figures.readyOut(entry.message);
      queue.drop(entry, 'expired');
    }
    const stats = queue.stats;
    if (entry === undefined) {
      stats.get_empty++;
      return undefined;
    }
    if (handOver !== undefined) {
      try {
        handOver(entry);
      } catch (err) {
        pager.restore([entry]);
        throw err;
      }
    }
    figures.readyOut(entry.message);
    if (noAck) stats.get_no_ack++;
    else {
      stats.get++;
      figures.unackedIn(entry.message);
    }
    if (entry.redelivered) stats.redeliver++;
    queue.delivered(entry, noAck);
    return entry;
  }

  /** The first consumer, by priority, with capacity; it moves to the back of its priority group. */
  private nextConsumer(): QueueConsumer | undefined {
    if (this.queue.settings.singleActiveConsumer) {
      const active = this.consumers.first;
      return active !== undefined && active.canAccept() ? active : undefined;
    }
    return this.consumers.next();
  }

  /**
   * consumer.deliver threw (a bug: nothing a client sends can make it). The entry goes back where it was, unchanged,
   * and the consumer's connection is closed; an entry whose delivery fails a second time is set aside, so one
   * message cannot take down every consumer in turn.
   */
  private deliveryFailed(consumer: QueueConsumer, entry: QueueEntry, err: unknown): void {
    const queue = this.queue;
    const faulted = (this.faulted ??= new WeakSet());
    if (faulted.has(entry)) {
      queue.setAside(entry, `delivery failed twice: ${err instanceof Error ? err.message : String(err)}`);
    } else {
      faulted.add(entry);
      queue.figures.readyIn(entry.message);
      queue.pager.restore([entry]);
    }
    queue.reportError(err, 'delivery');
    consumer.failed?.(err);
  }
}
