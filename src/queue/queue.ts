import { Deque } from '../util/deque';
import type { FieldTable } from '../protocol/field-table';
import type { QueueConsumer } from './consumer';
import type { Message, QueueEntry } from './message';

/** Deliveries one drain may make before yielding the event loop to other connections. */
const DRAIN_BUDGET = 2048;

export interface QueueOptions {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** The owning connection (opaque) for exclusive queues, null otherwise. */
  readonly exclusiveOwner: object | null;
  readonly arguments: FieldTable;
}

export interface QueueHooks {
  /** Called when an auto-delete queue loses its last consumer. */
  unused(queue: Queue): void;
}

/**
 * A classic queue in memory: a FIFO of entries, consumers ordered by priority and served round-robin
 * within one priority, prefetch enforced by each consumer's canAccept().
 */
export class Queue {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly exclusiveOwner: object | null;
  readonly arguments: FieldTable;
  deleted = false;

  private readonly ready = new Deque<QueueEntry>();
  /** Sorted by priority, highest first; rotated within a priority after each delivery. */
  private consumers: QueueConsumer[] = [];
  private exclusiveConsumer = false;
  private hadConsumer = false;
  private nextSeq = 1;
  private drainScheduled = false;
  private readonly drainLater = (): void => {
    this.drainScheduled = false;
    this.drain();
  };

  constructor(
    options: QueueOptions,
    private readonly hooks: QueueHooks,
  ) {
    this.vhost = options.vhost;
    this.name = options.name;
    this.durable = options.durable;
    this.autoDelete = options.autoDelete;
    this.exclusiveOwner = options.exclusiveOwner;
    this.arguments = options.arguments;
  }

  get messageCount(): number {
    return this.ready.length;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get hasExclusiveConsumer(): boolean {
    return this.exclusiveConsumer;
  }

  enqueue(message: Message): void {
    this.ready.push({ message, seq: this.nextSeq++, redelivered: false });
    if (this.consumers.length > 0) this.drain();
  }

  /** basic.get: the next ready entry, or undefined when empty. */
  take(): QueueEntry | undefined {
    return this.ready.shift();
  }

  /**
   * Puts unsettled entries back at their original positions, marked redelivered. Entries are usually
   * older than everything still queued, so the common case is a run of unshifts.
   */
  requeue(entries: QueueEntry[]): void {
    if (this.deleted || entries.length === 0) return;
    entries.sort(bySeq);
    for (const entry of entries) entry.redelivered = true;
    const head = this.ready.peek();
    const last = entries[entries.length - 1] as QueueEntry;
    if (head === undefined || last.seq < head.seq) {
      for (let i = entries.length - 1; i >= 0; i--) this.ready.unshift(entries[i] as QueueEntry);
    } else {
      const merged = this.ready.toArray().concat(entries).sort(bySeq);
      this.ready.reset(merged);
    }
    this.scheduleDrain();
  }

  purge(): number {
    const count = this.ready.length;
    this.ready.clear();
    return count;
  }

  addConsumer(consumer: QueueConsumer): void {
    let index = this.consumers.length;
    while (index > 0 && (this.consumers[index - 1] as QueueConsumer).priority < consumer.priority) index--;
    this.consumers.splice(index, 0, consumer);
    if (consumer.exclusive) this.exclusiveConsumer = true;
    this.hadConsumer = true;
    this.scheduleDrain();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index < 0) return;
    this.consumers.splice(index, 1);
    if (consumer.exclusive) this.exclusiveConsumer = false;
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) this.hooks.unused(this);
  }

  /** Called by the vhost on delete: tells every consumer, drops the messages, returns how many there were. */
  destroy(): number {
    this.deleted = true;
    const consumers = this.consumers;
    this.consumers = [];
    for (const consumer of consumers) consumer.cancelledByBroker(this);
    return this.purge();
  }

  /** Defers a drain to the next turn; used when capacity appears in bulk (acks, requeue, socket drain). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.deleted) return;
    this.drainScheduled = true;
    setImmediate(this.drainLater);
  }

  /** Delivers ready entries to consumers with capacity, up to a budget per turn. */
  drain(): void {
    let budget = DRAIN_BUDGET;
    while (this.ready.length > 0) {
      if (budget-- === 0) {
        this.scheduleDrain();
        return;
      }
      const consumer = this.nextConsumer();
      if (consumer === undefined) return;
      consumer.deliver(this, this.ready.shift() as QueueEntry);
    }
  }

  /** The first consumer, by priority, with capacity; it moves to the back of its priority group. */
  private nextConsumer(): QueueConsumer | undefined {
    const consumers = this.consumers;
    const count = consumers.length;
    for (let i = 0; i < count; i++) {
      const consumer = consumers[i] as QueueConsumer;
      if (!consumer.canAccept()) continue;
      let j = i;
      while (j + 1 < count && (consumers[j + 1] as QueueConsumer).priority === consumer.priority) {
        consumers[j] = consumers[j + 1] as QueueConsumer;
        j++;
      }
      consumers[j] = consumer;
      return consumer;
    }
    return undefined;
  }
}

function bySeq(a: QueueEntry, b: QueueEntry): number {
  return a.seq - b.seq;
}
