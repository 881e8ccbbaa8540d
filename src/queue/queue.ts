import { MessageStats } from '../observability/stats';
import type { FieldTable } from '../protocol/field-table';
import { priorityOf } from '../protocol/properties';
import { editHeaders, encodeValue } from '../protocol/property-list';
import { StoreError } from '../store/errors';
import type { QueueStats, Store, StoredEntry } from '../store/store';
import { DEFAULT_SETTINGS, type QueueSettings } from './arguments';
import type { QueueConsumer } from './consumer';
import { ConsumerList } from './consumer-list';
import type { DeathReason } from './dead-letter';
import { Deduplicator } from './deduplicate';
import { ExpiryHeap } from './expiry-heap';
import { EntryState, newEntry, storedMessageProblem, type Message, type QueueEntry, type StoredMessageParts } from './message';
import { FifoReadyList, PriorityReadyList, type ReadyList } from './ready-list';

/** Deliveries one drain may make before yielding the event loop to other connections. */
const DRAIN_BUDGET = 2048;
/** Stored entries a durable queue keeps in memory; the rest stays in the store until the head reaches it. */
export const WINDOW = 4096;
/** Below this many ready entries, the next stored entries are loaded. */
const REFILL_AT = WINDOW / 2;
/** Expired entries handled per timer turn before yielding. */
const EXPIRY_BUDGET = 2048;

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
  /** The arguments' meaning, checked by parseQueueArguments; defaults when absent. */
  readonly settings?: QueueSettings;
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

/** How long a timer whose work threw waits before it tries again (no busy loop on a persistent fault). */
const RETRY_AFTER_ERROR_MS = 1000;

/**
 * A classic queue: entries in delivery order (FIFO, or by priority with x-max-priority), consumers ordered by
 * priority and served round-robin within one priority (or only the first with x-single-active-consumer), prefetch
 * enforced by each consumer's canAccept().
 *
 * A durable queue writes persistent messages to the store and keeps only a window of them in memory: once
 * WINDOW entries are ready, further persistent entries live only in the store (the tail, counted but not held)
 * and are loaded in seq order as the head drains. Transient entries arriving while a tail exists wait in
 * `overflow` and are merged back by seq, so order is kept across both. Priority queues keep everything in memory.
 *
 * Expiry is by deadline: entries with one sit in a min-heap, and one timer per queue targets the earliest deadline,
 * in memory or (a lower bound kept in memory) in the stored tail. Expired, dropped (x-max-length), rejected and
 * over-delivered entries go to the dead-letter exchange through hooks.deadLetter when the queue has one.
 */
export class Queue {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly exclusiveOwner: object | null;
  readonly arguments: FieldTable;
  /** What the queue behaves by: its arguments, completed by the policy that applies to it (see applySettings). */
  settings: QueueSettings;
  /** Names of the policy and operator policy in effect, for the management API. */
  policy: string | undefined;
  operatorPolicy: string | undefined;
  deleted = false;
  /** Set by stop(): no timer is armed again. */
  private stopped = false;
  readonly stats = new MessageStats();
  /**
   * Deliveries that need an ack and are not settled yet (messages_unacknowledged): counted when they leave the
   * ready list (drain to a consumer without noAck, take(false)), uncounted by settle() or requeue().
   */
  unackedCount = 0;
  /** Body bytes of the ready messages (memory and stored tail): message_bytes_ready and x-max-length-bytes. */
  readyBytes = 0;
  /** Body bytes of the unacknowledged deliveries (message_bytes_unacknowledged), kept with unackedCount. */
  unackedBytes = 0;
  /** Persistent messages of a durable queue, ready and unacknowledged, and their body bytes (messages_persistent). */
  private readyPersistent = 0;
  private readyPersistentBytes = 0;
  private unackedPersistent = 0;
  private unackedPersistentBytes = 0;
  /** Body bytes of the stored tail (messages_paged_out / message_bytes_paged_out). */
  tailBytes = 0;

  private readonly ready: ReadyList;
  /** Persistent entries only in the store, all after `loadedThrough`. */
  private tailCount = 0;
  /** Seq of the last stored entry brought into memory; the tail starts after it. */
  private loadedThrough = 0;
  /** Transient entries that arrived while a tail exists, in seq order. */
  private readonly overflow = new FifoReadyList();
  /** Entries the ready list holds at most before persistent ones stay in the store. */
  private readonly window: number;
  /** By priority, highest first, round-robin within one; and in arrival order (the active one of x-single-active-consumer). */
  private readonly consumers = new ConsumerList();
  private exclusiveConsumer = false;
  private hadConsumer = false;
  private nextSeq = 1;
  private drainScheduled = false;
  private readonly flowWaiters = new Set<FlowListener>();
  private readonly expiry = new ExpiryHeap();
  /** A lower bound on the earliest deadline in the stored tail; 0 when it has none. */
  private tailNextExpiry = 0;
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiryTimerAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** x-message-deduplication: repeated messages are dropped at enqueue. */
  private readonly dedup: Deduplicator | undefined;
  /** Entries whose delivery threw once: a second failure sets them aside instead of retrying forever. */
  private faulted: WeakSet<QueueEntry> | undefined;
  // Timers and deferred callbacks run outside any connection's handler: what they throw is contained here.
  private readonly drainLater = (): void => {
    this.drainScheduled = false;
    try {
      this.drain();
    } catch (err) {
      if (this.contained(err, 'drain')) setTimeout(() => this.scheduleDrain(), RETRY_AFTER_ERROR_MS).unref();
    }
  };
  private readonly expireLater = (): void => {
    this.expiryTimer = undefined;
    this.expiryTimerAt = 0;
    try {
      this.expireDue();
    } catch (err) {
      if (this.contained(err, 'expiry') && !this.deleted && !this.stopped) {
        this.expiryTimerAt = Date.now() + RETRY_AFTER_ERROR_MS;
        this.expiryTimer = setTimeout(this.expireLater, RETRY_AFTER_ERROR_MS);
        this.expiryTimer.unref();
      }
    }
  };
  private readonly idleExpired = (): void => {
    this.idleTimer = undefined;
    if (this.deleted || this.consumers.size > 0) return;
    try {
      this.hooks.unused(this);
    } catch (err) {
      this.contained(err, 'x-expires');
    }
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
    this.settings = options.settings ?? DEFAULT_SETTINGS;
    const maxPriority = this.settings.maxPriority;
    this.ready = maxPriority === undefined ? new FifoReadyList() : new PriorityReadyList(maxPriority);
    this.window = maxPriority === undefined ? WINDOW : Number.POSITIVE_INFINITY;
    const dedup = Deduplicator.from(options.arguments);
    this.dedup = typeof dedup === 'string' ? undefined : dedup;
    this.touch();
  }

  get messageCount(): number {
    return this.ready.length + this.tailCount + this.overflow.length;
  }

  /** True when consumers exist but entries pile up in memory faster than they are delivered. */
  get congested(): boolean {
    return this.consumers.size > 0 && this.ready.length + this.overflow.length >= FLOW_HIGH;
  }

  /** Registers a paused publisher; it is told once the queue is under FLOW_LOW, loses its consumers or goes away. */
  waitForRelief(listener: FlowListener): void {
    this.flowWaiters.add(listener);
  }

  private relieve(): void {
    if (this.flowWaiters.size === 0) return;
    if (!this.deleted && this.consumers.size > 0 && this.ready.length + this.overflow.length > FLOW_LOW) return;
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
    this.readyBytes = stats.bytes;
    this.tailBytes = stats.bytes;
    this.readyPersistent = stats.messages;
    this.readyPersistentBytes = stats.bytes;
    this.loadedThrough = 0;
    this.refill();
    const persistence = this.persistence;
    if (persistence !== undefined && this.tailCount > 0) {
      this.tailNextExpiry = persistence.store.nextExpiry(persistence.queueId, this.loadedThrough);
    }
    this.armExpiry();
  }

  /** Ready entries held in memory (the stored tail excluded): messages_ready_ram. */
  get readyInMemory(): number {
    return this.ready.length + this.overflow.length;
  }

  /** Ready persistent entries only in the store (messages_paged_out). */
  get pagedOut(): number {
    return this.tailCount;
  }

  /** The message at the head of the queue (the next to deliver), if any: head_message_timestamp. */
  get headMessage(): Message | undefined {
    return (this.ready.peek() ?? this.overflow.peek())?.message;
  }

  /** Persistent messages (ready and unacknowledged) of a durable queue: messages_persistent. */
  get persistentCount(): number {
    return this.readyPersistent + this.unackedPersistent;
  }

  /** Their body bytes: message_bytes_persistent. */
  get persistentBytes(): number {
    return this.readyPersistentBytes + this.unackedPersistentBytes;
  }

  // The figures kept beside readyBytes and unackedCount: one place each for in and out. Only a durable queue's
  // persistent messages count as persistent, as in RabbitMQ (a transient queue stores nothing).
  private readyIn(message: Message): void {
    this.readyBytes += message.body.length;
    if (message.persistent && this.persistence !== undefined) {
      this.readyPersistent++;
      this.readyPersistentBytes += message.body.length;
    }
  }

  private readyOut(message: Message): void {
    this.readyBytes -= message.body.length;
    if (message.persistent && this.persistence !== undefined) {
      this.readyPersistent = Math.max(0, this.readyPersistent - 1);
      this.readyPersistentBytes = Math.max(0, this.readyPersistentBytes - message.body.length);
    }
  }

  private unackedIn(message: Message): void {
    this.unackedCount++;
    this.unackedBytes += message.body.length;
    if (message.persistent && this.persistence !== undefined) {
      this.unackedPersistent++;
      this.unackedPersistentBytes += message.body.length;
    }
  }

  private unackedOut(message: Message): void {
    if (this.unackedCount === 0) return;
    this.unackedCount--;
    this.unackedBytes = Math.max(0, this.unackedBytes - message.body.length);
    if (message.persistent && this.persistence !== undefined) {
      this.unackedPersistent = Math.max(0, this.unackedPersistent - 1);
      this.unackedPersistentBytes = Math.max(0, this.unackedPersistentBytes - message.body.length);
    }
  }

  get consumerCount(): number {
    return this.consumers.size;
  }

  get hasExclusiveConsumer(): boolean {
    return this.exclusiveConsumer;
  }

  /** The consumer that receives messages of a single-active-consumer queue. */
  get activeConsumer(): QueueConsumer | undefined {
    return this.settings.singleActiveConsumer ? this.consumers.first : undefined;
  }

  /**
   * Adds a message. Returns false when x-overflow reject-publish(-dlx) refused it because the queue is full (the
   * publisher's confirm becomes a nack).
   */
  enqueue(message: Message): boolean {
    const settings = this.settings;
    if (this.dedup !== undefined && this.dedup.isDuplicate(message)) return true;
    if (settings.overflow !== 'drop-head' && this.wouldOverflow(message.body.length)) {
      if (settings.overflow === 'reject-publish-dlx' && settings.deadLetterExchange !== undefined) {
        this.hooks.deadLetter?.(this, message, 'maxlen');
      }
      return false;
    }
    this.stats.publish++;
    const seq = this.nextSeq++;
    const ttl = settings.messageTtl;
    const expiration = message.expiration;
    let now = 0;
    let expiresAt = 0;
    if (ttl !== undefined || expiration >= 0) {
      now = Date.now();
      expiresAt = now + (ttl === undefined || (expiration >= 0 && expiration < ttl) ? expiration : ttl);
    }
    const persistence = this.persistence;
    const stored = persistence !== undefined && message.persistent;
    if (stored) {
      if (message.id === 0) message.id = persistence.store.nextMessageId();
      persistence.store.enqueue(persistence.queueId, seq, message as Message & { id: number }, expiresAt);
    }
    this.readyIn(message);
    if (this.tailCount > 0 || (stored && this.ready.length >= this.window)) {
      if (stored) {
        this.tailCount++;
        this.tailBytes += message.body.length;
        if (expiresAt !== 0 && (this.tailNextExpiry === 0 || expiresAt < this.tailNextExpiry)) {
          this.tailNextExpiry = expiresAt;
        }
      } else {
        const entry = newEntry(message, seq, expiresAt, 0);
        entry.overflowed = true;
        this.overflow.push(entry);
        if (expiresAt !== 0) this.track(entry);
      }
      if (expiresAt !== 0) this.armExpiry();
      return true;
    }
    const priority = settings.maxPriority === undefined ? 0 : this.priorityOf(message);
    const entry = newEntry(message, seq, expiresAt, priority);
    this.ready.push(entry);
    if (stored) this.loadedThrough = seq;
    if (this.consumers.size > 0) this.deliverReady(now);
    if (expiresAt !== 0 && entry.state === EntryState.Ready) {
      if (expiresAt <= now) {
        // x-message-ttl 0 (or expiration 0) and no consumer took it at once: it expires now, as in RabbitMQ.
        this.ready.removed(entry);
        this.readyOut(message);
        this.drop(entry, 'expired');
      } else {
        this.track(entry);
        this.armExpiry();
      }
    }
    if (settings.maxLength !== undefined || settings.maxLengthBytes !== undefined) this.dropHeadOverLimit();
    if (this.flowWaiters.size > 0) this.relieve();
    return true;
  }

  /**
   * basic.get: the next ready entry, or undefined when empty. With noAck it is settled at once. `handOver` sends it
   * first: if that throws, the entry goes back where it was, unchanged, and the error propagates.
   */
  take(noAck: boolean, handOver?: (entry: QueueEntry) => void): QueueEntry | undefined {
    this.touch();
    let entry: QueueEntry | undefined;
    for (;;) {
      if (this.tailCount > 0 && this.ready.length < REFILL_AT) this.refill();
      entry = this.ready.shift();
      if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt > Date.now()) break;
      this.readyOut(entry.message);
      this.drop(entry, 'expired');
    }
    const stats = this.stats;
    if (entry === undefined) {
      stats.get_empty++;
      return undefined;
    }
    if (handOver !== undefined) {
      try {
        handOver(entry);
      } catch (err) {
        this.ready.restore([entry]);
        throw err;
      }
    }
    this.readyOut(entry.message);
    if (noAck) stats.get_no_ack++;
    else {
      stats.get++;
      this.unackedIn(entry.message);
    }
    if (entry.redelivered) stats.redeliver++;
    this.delivered(entry, noAck);
    return entry;
  }

  /**
   * An entry was acked, or rejected/nacked without requeue (`rejected`): it leaves the store, and a rejected one
   * goes to the dead-letter exchange.
   */
  settle(entry: QueueEntry, rejected = false): void {
    this.unackedOut(entry.message);
    if (entry.state === EntryState.Gone) return;
    entry.state = EntryState.Gone;
    if (rejected && this.settings.deadLetterExchange !== undefined && !this.deleted && this.hooks.deadLetter !== undefined) {
      this.hooks.deadLetter(this, entry.message, 'rejected', () => this.unstore(entry));
      return;
    }
    this.unstore(entry);
  }

  /** A delivery leaves the ready list: settled now (noAck) or marked delivered for redelivery after a crash. */
  private delivered(entry: QueueEntry, noAck: boolean): void {
    entry.state = noAck ? EntryState.Gone : EntryState.Unacked;
    const persistence = this.persistence;
    if (persistence === undefined || entry.message.id === 0) return;
    if (noAck) persistence.store.remove(persistence.queueId, entry.seq, entry.message.id);
    else if (!entry.redelivered) persistence.store.markDelivered(persistence.queueId, entry.seq);
  }

  private unstore(entry: QueueEntry): void {
    const persistence = this.persistence;
    if (persistence !== undefined && entry.message.id !== 0 && !this.deleted) {
      persistence.store.remove(persistence.queueId, entry.seq, entry.message.id);
    }
  }

  /** Takes a ready entry (already out of its list, bytes uncounted) out of the queue for `reason`. */
  private drop(entry: QueueEntry, reason: DeathReason): void {
    entry.state = EntryState.Gone;
    if (this.settings.deadLetterExchange !== undefined && this.hooks.deadLetter !== undefined) {
      try {
        this.hooks.deadLetter(this, entry.message, reason, () => this.unstore(entry));
        return;
      } catch (err) {
        // A fault in dead-lettering one message must not stop the expiry or the delivery it happened in.
        this.contained(err, 'dead-lettering');
      }
    }
    this.unstore(entry);
  }

  /**
   * Reports an exception from a timer or callback; true when the work should be tried again later. A closed store
   * (the broker is shutting down) stops the queue's timers instead.
   */
  private contained(err: unknown, during: string): boolean {
    if (err instanceof StoreError && err.code === 'STORE_CLOSED') {
      this.stop();
      return false;
    }
    this.hooks.error?.(this, err, during);
    return true;
  }

  /** A ready entry (out of its list, bytes uncounted) leaves the queue for the quarantine. */
  private setAside(entry: QueueEntry, reason: string): void {
    entry.state = EntryState.Gone;
    this.hooks.setAside?.(this, entry.message, reason);
    this.unstore(entry);
  }

  /** A stored entry that cannot be delivered (storedMessageProblem) leaves the store for the quarantine. */
  private setAsideStored(record: StoredEntry, reason: string): void {
    const bytes = Buffer.isBuffer(record.message.body) ? record.message.body.length : 0;
    this.readyBytes -= bytes;
    this.tailBytes = Math.max(0, this.tailBytes - bytes);
    if (this.persistence !== undefined) {
      this.readyPersistent = Math.max(0, this.readyPersistent - 1);
      this.readyPersistentBytes = Math.max(0, this.readyPersistentBytes - bytes);
    }
    this.hooks.setAside?.(this, record.message, reason);
    const persistence = this.persistence;
    if (persistence !== undefined) persistence.store.remove(persistence.queueId, record.seq, record.message.id);
  }

  /**
   * consumer.deliver threw (a bug: nothing a client sends can make it). The entry goes back where it was, unchanged,
   * and the consumer's connection is closed; an entry whose delivery fails a second time is set aside, so one
   * message cannot take down every consumer in turn.
   */
  private deliveryFailed(consumer: QueueConsumer, entry: QueueEntry, err: unknown): void {
    const faulted = (this.faulted ??= new WeakSet());
    if (faulted.has(entry)) {
      this.setAside(entry, `delivery failed twice: ${err instanceof Error ? err.message : String(err)}`);
    } else {
      faulted.add(entry);
      this.readyIn(entry.message);
      this.ready.restore([entry]);
    }
    this.hooks.error?.(this, err, 'delivery');
    consumer.failed?.(err);
  }

  /** Loads the next stored entries after the window, merging waiting transient entries by seq. */
  private refill(): void {
    const persistence = this.persistence;
    if (persistence === undefined || this.tailCount === 0) return;
    const room = this.window === Number.POSITIVE_INFINITY ? this.tailCount : this.window - this.ready.length;
    const stored = persistence.store.loadEntries(persistence.queueId, this.loadedThrough, room);
    for (const record of stored) {
      for (let next = this.overflow.peek(); next !== undefined && next.seq < record.seq; next = this.overflow.peek()) {
        this.fromOverflow(this.overflow.shift() as QueueEntry);
      }
      const problem = storedMessageProblem(record.message);
      if (problem !== undefined) {
        this.setAsideStored(record, problem);
        continue;
      }
      const entry = this.fromStore(record);
      this.tailBytes = Math.max(0, this.tailBytes - entry.message.body.length);
      this.ready.push(entry);
      if (entry.expiresAt !== 0) this.track(entry);
    }
    const last = stored[stored.length - 1];
    if (last !== undefined) this.loadedThrough = last.seq;
    this.tailCount = stored.length === 0 ? 0 : Math.max(0, this.tailCount - stored.length);
    if (this.tailCount === 0) {
      this.tailBytes = 0;
      this.tailNextExpiry = 0;
      for (let next = this.overflow.shift(); next !== undefined; next = this.overflow.shift()) this.fromOverflow(next);
    }
  }

  private fromOverflow(entry: QueueEntry): void {
    entry.overflowed = false;
    this.ready.push(entry);
  }

  private fromStore(record: StoredEntry): QueueEntry {
    const m = record.message;
    const message: Message = {
      id: m.id,
      persistent: true,
      exchange: m.exchange,
      routingKey: m.routingKey,
      properties: m.properties,
      body: m.body,
      expiration: -1,
      headers: undefined,
    };
    const priority = this.settings.maxPriority === undefined ? 0 : this.priorityOf(message);
    const entry = newEntry(message, record.seq, record.expiresAt, priority);
    entry.redelivered = record.redelivered;
    return entry;
  }

  private priorityOf(message: Message): number {
    const max = this.settings.maxPriority as number;
    const priority = priorityOf(message.properties) ?? 0;
    return priority > max ? max : priority;
  }

  /**
   * Puts unsettled entries back at their original positions, marked redelivered. Entries returned more often than
   * x-delivery-limit allows are dead-lettered (reason delivery_limit) or dropped instead.
   */
  requeue(entries: QueueEntry[]): void {
    for (const entry of entries) this.unackedOut(entry.message);
    if (this.deleted || entries.length === 0) return;
    entries.sort(bySeq);
    const { deliveryLimit, quorum } = this.settings;
    const back: QueueEntry[] = [];
    let deadline = false;
    for (const entry of entries) {
      if (entry.state === EntryState.Gone) continue;
      entry.returns++;
      if (deliveryLimit !== undefined && entry.returns > deliveryLimit) {
        this.drop(entry, 'delivery_limit');
        continue;
      }
      if (deliveryLimit !== undefined || quorum) entry.message = withDeliveryCount(entry.message, entry.returns);
      entry.redelivered = true;
      entry.state = EntryState.Ready;
      this.readyIn(entry.message);
      if (entry.expiresAt !== 0) {
        this.track(entry);
        deadline = true;
      }
      back.push(entry);
    }
    this.ready.restore(back);
    if (deadline) this.armExpiry();
    const { maxLength, maxLengthBytes, overflow } = this.settings;
    if (overflow === 'drop-head' && (maxLength !== undefined || maxLengthBytes !== undefined)) this.dropHeadOverLimit();
    this.scheduleDrain();
  }

  /** Drops every ready message (stored ones included); unacked deliveries stay with their channels. */
  purge(): number {
    const count = this.messageCount;
    this.clearReady();
    if (this.persistence !== undefined && count > 0) this.persistence.store.purge(this.persistence.queueId);
    this.relieve();
    return count;
  }

  private clearReady(): void {
    for (const entry of this.ready.drainAll()) entry.state = EntryState.Gone;
    for (const entry of this.overflow.drainAll()) entry.state = EntryState.Gone;
    this.tailCount = 0;
    this.tailNextExpiry = 0;
    this.readyBytes = 0;
    this.tailBytes = 0;
    this.readyPersistent = 0;
    this.readyPersistentBytes = 0;
    this.expiry.clear();
    this.armExpiry();
  }

  addConsumer(consumer: QueueConsumer): void {
    this.consumers.add(consumer);
    if (consumer.exclusive) this.exclusiveConsumer = true;
    this.hadConsumer = true;
    this.touch();
    this.scheduleDrain();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const wasActive = this.settings.singleActiveConsumer && this.consumers.first === consumer;
    if (!this.consumers.remove(consumer)) return;
    if (consumer.exclusive) this.exclusiveConsumer = false;
    if (this.consumers.size === 0) this.relieve();
    if (this.consumers.size === 0 && this.autoDelete && this.hadConsumer && !this.deleted) {
      this.hooks.unused(this);
      return;
    }
    this.touch();
    if (wasActive) this.scheduleDrain();
  }

  /**
   * A policy changed what the queue behaves by. Limits apply at once (drop-head trims the queue); a new TTL applies
   * to messages arriving from now on; x-max-priority cannot change (policies cannot set it).
   */
  applySettings(settings: QueueSettings, policy?: string, operatorPolicy?: string): void {
    this.settings = { ...settings, maxPriority: this.settings.maxPriority };
    this.policy = policy;
    this.operatorPolicy = operatorPolicy;
    this.touch();
    if (settings.overflow === 'drop-head') this.dropHeadOverLimit();
  }

  /** Broker shutdown: the queue's timers stop for good (its store is about to close). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.expiryTimer);
    this.idleTimer = undefined;
    this.expiryTimer = undefined;
  }

  /** A queue.declare of this queue counts as use for x-expires. */
  declared(): void {
    this.touch();
  }

  /** Called by the vhost on delete: tells every consumer, drops the messages, returns how many there were. */
  destroy(): number {
    this.deleted = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.expiryTimer);
    for (const consumer of this.consumers.clear()) consumer.cancelledByBroker(this);
    const count = this.messageCount;
    this.clearReady();
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
    this.deliverReady(0);
    if (this.flowWaiters.size > 0) this.relieve();
  }

  /** `now` is the caller's clock reading (0 when it has none): an entry expiring at `now` is still delivered. */
  private deliverReady(now: number): void {
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
      this.readyOut(entry.message);
      if (entry.expiresAt !== 0) {
        if (now === 0) now = Date.now();
        if (entry.expiresAt < now) {
          this.drop(entry, 'expired');
          continue;
        }
      }
      try {
        consumer.deliver(this, entry);
      } catch (err) {
        this.deliveryFailed(consumer, entry, err);
        continue;
      }
      if (consumer.noAck) this.stats.deliver_no_ack++;
      else {
        this.stats.deliver++;
        this.unackedIn(entry.message);
      }
      if (entry.redelivered) this.stats.redeliver++;
      this.delivered(entry, consumer.noAck);
    }
  }

  /** The first consumer, by priority, with capacity; it moves to the back of its priority group. */
  private nextConsumer(): QueueConsumer | undefined {
    if (this.settings.singleActiveConsumer) {
      const active = this.consumers.first;
      return active !== undefined && active.canAccept() ? active : undefined;
    }
    return this.consumers.next();
  }

  // ---- length limits ---------------------------------------------------------------------------

  /** reject-publish: one more message of `size` bytes would take the queue past x-max-length or x-max-length-bytes. */
  private wouldOverflow(size: number): boolean {
    const { maxLength, maxLengthBytes } = this.settings;
    return (
      (maxLength !== undefined && this.messageCount >= maxLength) ||
      (maxLengthBytes !== undefined && this.readyBytes + size > maxLengthBytes)
    );
  }

  /** drop-head: the oldest ready messages leave (reason maxlen) until the queue is within its limits. */
  private dropHeadOverLimit(): void {
    const { maxLength, maxLengthBytes } = this.settings;
    while (
      (maxLength !== undefined && this.messageCount > maxLength) ||
      (maxLengthBytes !== undefined && this.readyBytes > maxLengthBytes)
    ) {
      if (this.tailCount > 0 && this.ready.length < REFILL_AT) this.refill();
      const entry = this.ready.shift() ?? this.overflow.shift();
      if (entry === undefined) return;
      this.readyOut(entry.message);
      this.drop(entry, 'maxlen');
    }
  }

  // ---- expiry ----------------------------------------------------------------------------------

  private track(entry: QueueEntry): void {
    this.expiry.push(entry);
    if (this.expiry.size >= 1024) this.expiry.compact(this.ready.length + this.overflow.length);
  }

  /** (Re)arms the queue's one expiry timer for the earliest deadline in memory or in the stored tail. */
  private armExpiry(): void {
    if (this.deleted || this.stopped) return;
    const inMemory = this.expiry.nextDeadline();
    const tail = this.tailNextExpiry;
    const next = inMemory === 0 ? tail : tail === 0 ? inMemory : Math.min(inMemory, tail);
    if (next === 0) {
      if (this.expiryTimer !== undefined) {
        clearTimeout(this.expiryTimer);
        this.expiryTimer = undefined;
        this.expiryTimerAt = 0;
      }
      return;
    }
    if (this.expiryTimer !== undefined && this.expiryTimerAt <= next) return;
    clearTimeout(this.expiryTimer);
    this.expiryTimerAt = next;
    this.expiryTimer = setTimeout(this.expireLater, Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1));
    this.expiryTimer.unref();
  }

  /** Expires every entry whose deadline has passed, wherever it is, within a budget per turn. */
  private expireDue(): void {
    if (this.deleted) return;
    const now = Date.now();
    let budget = EXPIRY_BUDGET;
    // Expired entries go to the dead-letter exchange as fast as it takes them, not faster: a million expiring at
    // once must not pile up as copies waiting (dead-letters.ts), nor be loaded from the store all at once.
    const congested = this.settings.deadLetterExchange !== undefined ? this.hooks.deadLetterCongested : undefined;
    for (;;) {
      if (congested?.() === true) {
        budget = 0;
        break;
      }
      const entry = this.expiry.popDue(now);
      if (entry === undefined) break;
      if (entry.state !== EntryState.Ready) continue;
      if (entry.overflowed) this.overflow.removed(entry);
      else this.ready.removed(entry);
      this.readyOut(entry.message);
      this.drop(entry, 'expired');
      if (--budget === 0) break;
    }
    if (budget > 0 && congested?.() === true) budget = 0;
    if (budget > 0 && this.tailNextExpiry !== 0 && this.tailNextExpiry <= now) budget = this.expireTail(now, budget);
    if (budget === 0) {
      this.expiryTimerAt = now;
      this.expiryTimer = setTimeout(this.expireLater, 0);
      this.expiryTimer.unref();
    } else this.armExpiry();
    if (this.flowWaiters.size > 0) this.relieve();
  }

  /** Expires stored tail entries past their deadline; returns the budget left. */
  private expireTail(now: number, budget: number): number {
    const persistence = this.persistence;
    if (persistence === undefined) {
      this.tailNextExpiry = 0;
      return budget;
    }
    const { store, queueId } = persistence;
    const due = store.loadExpired(queueId, this.loadedThrough, now, budget);
    for (const record of due) {
      this.tailCount--;
      const problem = storedMessageProblem(record.message);
      if (problem !== undefined) {
        this.setAsideStored(record, problem);
        continue;
      }
      const entry = this.fromStore(record);
      this.tailBytes = Math.max(0, this.tailBytes - entry.message.body.length);
      this.readyOut(entry.message);
      this.drop(entry, 'expired');
    }
    if (due.length < budget) this.tailNextExpiry = this.tailCount === 0 ? 0 : store.nextExpiry(queueId, this.loadedThrough);
    return budget - due.length;
  }

  // ---- x-expires -------------------------------------------------------------------------------

  /** The queue was used: restart the x-expires period (or stop it while consumers exist). */
  private touch(): void {
    const expires = this.settings.expires;
    if (expires === undefined || this.deleted || this.stopped) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.consumers.size > 0) return;
    this.idleTimer = setTimeout(this.idleExpired, Math.min(expires, 2 ** 31 - 1));
    this.idleTimer.unref();
  }
}

/** A copy of `message` whose headers carry x-delivery-count (the stored original is left as it is). */
function withDeliveryCount(message: Message, count: number): Message {
  const properties = editHeaders(message.properties, [['x-delivery-count', encodeValue(count)]]);
  return { ...message, properties, headers: undefined };
}

function bySeq(a: QueueEntry, b: QueueEntry): number {
  return a.seq - b.seq;
}
