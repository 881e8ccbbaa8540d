import { Deque } from '../util/deque';
import { MessageStats } from '../observability/stats';
import type { FieldTable } from '../protocol/field-table';
import type { QueueStats, Store, StoredEntry } from '../store/store';
import type { QueueConsumer } from './consumer';
import type { Message, QueueEntry } from './message';

/** Deliveries one drain may make before yielding the event loop to other connections. */
const DRAIN_BUDGET = 2048;
/** Stored entries a durable queue keeps in memory; the rest stays in the store until the head reaches it. */
export const WINDOW = 4096;
/** Below this many ready entries, the next stored entries are loaded. */
const REFILL_AT = WINDOW / 2;

/**
 * Flow control: a queue with consumers holding this many entries in memory is congested; publishers routing into it
 * are paused (FlowListener) until it is back under FLOW_LOW. Consumer-less queues only page (durable) or grow.
 */
export const FLOW_HIGH = 10_000;
export const FLOW_LOW = 5_000;

/** A publisher waiting for a congested queue to drain. */
export interface FlowListener {
  queueRelieved(queue: Queue): void;
}

/** A durable queue's link to the store: persistent messages are written there under the queue's store id. */
export interface QueuePersistence {
  readonly store: Store;
  readonly queueId: number;
}

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
 * A classic queue: a FIFO of entries, consumers ordered by priority and served round-robin within one
 * priority, prefetch enforced by each consumer's canAccept().
 *
 * A durable queue writes persistent messages to the store and keeps only a window of them in memory: once
 * WINDOW entries are ready, further persistent entries live only in the store (the tail, counted but not held)
 * and are loaded in seq order as the head drains. Transient entries arriving while a tail exists wait in
 * `overflow` and are merged back by seq, so order is kept across both.
 */
export class Queue {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly exclusiveOwner: object | null;
  readonly arguments: FieldTable;
  deleted = false;
  readonly stats = new MessageStats();
  /**
   * Deliveries that need an ack and are not settled yet (messages_unacknowledged): counted when they leave the
   * ready list (drain to a consumer without noAck, take(false)), uncounted by settle() or requeue().
   */
  unackedCount = 0;

  private readonly ready = new Deque<QueueEntry>();
  /** Persistent entries only in the store, all after `loadedThrough`. */
  private tailCount = 0;
  /** Seq of the last stored entry brought into memory; the tail starts after it. */
  private loadedThrough = 0;
  /** Transient entries that arrived while a tail existed, in seq order. */
  private readonly overflow = new Deque<QueueEntry>();
  /** Sorted by priority, highest first; rotated within a priority after each delivery. */
  private consumers: QueueConsumer[] = [];
  private exclusiveConsumer = false;
  private hadConsumer = false;
  private nextSeq = 1;
  private drainScheduled = false;
  private readonly flowWaiters = new Set<FlowListener>();
  private readonly drainLater = (): void => {
    this.drainScheduled = false;
    this.drain();
  };

  constructor(
    options: QueueOptions,
    private readonly hooks: QueueHooks,
    private readonly persistence?: QueuePersistence,
  ) {
    this.vhost = options.vhost;
    this.name = options.name;
    this.durable = options.durable;
    this.autoDelete = options.autoDelete;
    this.exclusiveOwner = options.exclusiveOwner;
    this.arguments = options.arguments;
  }

  get messageCount(): number {
    return this.ready.length + this.tailCount + this.overflow.length;
  }

  /** True when consumers exist but entries pile up in memory faster than they are delivered. */
  get congested(): boolean {
    return this.consumers.length > 0 && this.ready.length + this.overflow.length >= FLOW_HIGH;
  }

  /** Registers a paused publisher; it is told once the queue is under FLOW_LOW, loses its consumers or goes away. */
  waitForRelief(listener: FlowListener): void {
    this.flowWaiters.add(listener);
  }

  private relieve(): void {
    if (this.flowWaiters.size === 0) return;
    if (!this.deleted && this.consumers.length > 0 && this.ready.length + this.overflow.length > FLOW_LOW) return;
    const waiters = [...this.flowWaiters];
    this.flowWaiters.clear();
    for (const waiter of waiters) waiter.queueRelieved(this);
  }

  get isPersistent(): boolean {
    return this.persistence !== undefined;
  }

  /** Start-up: the store holds `stats.messages` entries for this queue; the first window is loaded. */
  recover(stats: QueueStats): void {
    this.nextSeq = stats.lastSeq + 1;
    this.tailCount = stats.messages;
    this.loadedThrough = 0;
    this.refill();
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get hasExclusiveConsumer(): boolean {
    return this.exclusiveConsumer;
  }

  enqueue(message: Message): void {
    this.stats.publish++;
    const seq = this.nextSeq++;
    const persistence = this.persistence;
    const stored = persistence !== undefined && message.persistent;
    if (stored) {
      if (message.id === 0) message.id = persistence.store.nextMessageId();
      persistence.store.enqueue(persistence.queueId, seq, message as Message & { id: number });
    }
    if (this.tailCount > 0 || (stored && this.ready.length >= WINDOW)) {
      if (stored) this.tailCount++;
      else this.overflow.push({ message, seq, redelivered: false });
      return;
    }
    this.ready.push({ message, seq, redelivered: false });
    if (stored) this.loadedThrough = seq;
    if (this.consumers.length > 0) this.drain();
  }

  /** basic.get: the next ready entry, or undefined when empty. With noAck it is settled at once. */
  take(noAck: boolean): QueueEntry | undefined {
    if (this.tailCount > 0 && this.ready.length < REFILL_AT) this.refill();
    const entry = this.ready.shift();
    const stats = this.stats;
    if (entry === undefined) {
      stats.get_empty++;
      return undefined;
    }
    if (noAck) stats.get_no_ack++;
    else {
      stats.get++;
      this.unackedCount++;
    }
    if (entry.redelivered) stats.redeliver++;
    this.delivered(entry, noAck);
    return entry;
  }

  /** An entry was acked, or rejected without requeue: it leaves the store. */
  settle(entry: QueueEntry): void {
    if (this.unackedCount > 0) this.unackedCount--;
    const persistence = this.persistence;
    if (persistence !== undefined && entry.message.id !== 0 && !this.deleted) {
      persistence.store.remove(persistence.queueId, entry.seq, entry.message.id);
    }
  }

  /** A delivery leaves the ready list: settled now (noAck) or marked delivered for redelivery after a crash. */
  private delivered(entry: QueueEntry, noAck: boolean): void {
    const persistence = this.persistence;
    if (persistence === undefined || entry.message.id === 0) return;
    if (noAck) persistence.store.remove(persistence.queueId, entry.seq, entry.message.id);
    else if (!entry.redelivered) persistence.store.markDelivered(persistence.queueId, entry.seq);
  }

  /** Loads the next stored entries after the window, merging waiting transient entries by seq. */
  private refill(): void {
    const persistence = this.persistence;
    if (persistence === undefined || this.tailCount === 0) return;
    const stored = persistence.store.loadEntries(persistence.queueId, this.loadedThrough, WINDOW - this.ready.length);
    for (const entry of stored) {
      while (this.overflow.length > 0 && (this.overflow.peek() as QueueEntry).seq < entry.seq) {
        this.ready.push(this.overflow.shift() as QueueEntry);
      }
      this.ready.push(fromStore(entry));
    }
    const last = stored[stored.length - 1];
    if (last !== undefined) this.loadedThrough = last.seq;
    this.tailCount = stored.length === 0 ? 0 : Math.max(0, this.tailCount - stored.length);
    if (this.tailCount === 0) while (this.overflow.length > 0) this.ready.push(this.overflow.shift() as QueueEntry);
  }

  /**
   * Puts unsettled entries back at their original positions, marked redelivered. Entries are usually
   * older than everything still queued, so the common case is a run of unshifts.
   */
  requeue(entries: QueueEntry[]): void {
    this.unackedCount = Math.max(0, this.unackedCount - entries.length);
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

  /** Drops every ready message (stored ones included); unacked deliveries stay with their channels. */
  purge(): number {
    const count = this.messageCount;
    this.ready.clear();
    this.overflow.clear();
    this.tailCount = 0;
    if (this.persistence !== undefined && count > 0) this.persistence.store.purge(this.persistence.queueId);
    this.relieve();
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
    if (this.consumers.length === 0) this.relieve();
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) this.hooks.unused(this);
  }

  /** Called by the vhost on delete: tells every consumer, drops the messages, returns how many there were. */
  destroy(): number {
    this.deleted = true;
    const consumers = this.consumers;
    this.consumers = [];
    for (const consumer of consumers) consumer.cancelledByBroker(this);
    const count = this.messageCount;
    this.ready.clear();
    this.overflow.clear();
    this.tailCount = 0;
    this.relieve();
    return count;
  }

  /** Defers a drain to the next turn; used when capacity appears in bulk (acks, requeue, socket drain). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.deleted) return;
    this.drainScheduled = true;
    setImmediate(this.drainLater);
  }

  /** Delivers ready entries to consumers with capacity, up to a budget per turn. */
  drain(): void {
    this.deliverReady();
    if (this.flowWaiters.size > 0) this.relieve();
  }

  private deliverReady(): void {
    let budget = DRAIN_BUDGET;
    for (;;) {
      if (this.tailCount > 0 && this.ready.length < REFILL_AT) this.refill();
      if (this.ready.length === 0) return;
      if (budget-- === 0) {
        this.scheduleDrain();
        return;
      }
      const consumer = this.nextConsumer();
      if (consumer === undefined) return;
      const entry = this.ready.shift() as QueueEntry;
      if (consumer.noAck) this.stats.deliver_no_ack++;
      else {
        this.stats.deliver++;
        this.unackedCount++;
      }
      if (entry.redelivered) this.stats.redeliver++;
      this.delivered(entry, consumer.noAck);
      consumer.deliver(this, entry);
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

function fromStore(entry: StoredEntry): QueueEntry {
  const m = entry.message;
  return {
    message: {
      id: m.id,
      persistent: true,
      exchange: m.exchange,
      routingKey: m.routingKey,
      properties: m.properties,
      body: m.body,
      headers: undefined,
    },
    seq: entry.seq,
    redelivered: entry.redelivered,
  };
}

function bySeq(a: QueueEntry, b: QueueEntry): number {
  return a.seq - b.seq;
}
