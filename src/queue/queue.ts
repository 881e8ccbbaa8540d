import { MessageStats } from '../observability/stats';
import type { FieldTable } from '../protocol/field-table';
import { priorityOf } from '../protocol/properties';
import { StoreError } from '../store/errors';
import type { QueueStats, StoredEntry } from '../store/store';
import { coarseNow, systemClock, type Clock } from '../util/clock';
import { DEFAULT_SETTINGS, type QueueSettings } from './arguments';
import type { QueueConsumer } from './consumer';
import type { DeathReason } from './dead-letter';
import { Deduplicator } from './deduplicate';
import { Dispatcher } from './dispatch';
import { Expiry, IdleTimer, RETRY_AFTER_ERROR_MS, type ExpiryHost } from './expiry';
import { QueueFigures } from './figures';
import { dropHeadOverLimit, wouldOverflow } from './limits';
import { EntryState, newEntry, type Message, type QueueEntry } from './message';
import { requeue } from './redelivery';
import { Pager, Placed, type PagerHost, type QueuePersistence } from './paging';
import type { FlowListener, QueueHooks, QueueOptions } from './queue-options';

/**
 * Flow control: a queue with consumers holding this many entries in memory is congested; publishers routing into it
 * are paused (FlowListener) until it is back under FLOW_LOW. Consumer-less queues only page (durable) or grow.
 */
export const FLOW_HIGH = 10_000;
export const FLOW_LOW = 5_000;

/**
 * A classic queue: entries in delivery order (FIFO, or by priority with x-max-priority), consumers ordered by
 * priority and served round-robin within one priority (or only the first with x-single-active-consumer), prefetch
 * enforced by each consumer's canAccept().
 *
 * Its parts, by role: the Pager (paging.ts) holds the ready entries in delivery order and pages a durable queue's
 * persistent ones from the store (priority queues included, level by level); Expiry (expiry.ts) drops entries past
 * their deadline, and IdleTimer deletes an unused x-expires queue; Dispatcher (dispatch.ts) delivers; limits.ts
 * applies x-max-length(-bytes); redelivery.ts requeues; QueueFigures (figures.ts) keeps the counts and bytes.
 * Expired, dropped (x-max-length), rejected and over-delivered entries go to the dead-letter exchange through
 * hooks.deadLetter when the queue has one. Time is read, and timers armed, through options.clock (default: system).
 */
export class Queue implements PagerHost, ExpiryHost {
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
  /** Live tails of what is routed here (util/tap.ts, called by the publish pipeline); undefined while nobody watches. */
  tappers: readonly import('../util/tap').Tapper[] | undefined = undefined;
  /** Set by stop(): no timer is armed again. */
  private stopped = false;
  readonly stats = new MessageStats();
  /** @internal The ready entries and the stored tail (limits.ts reads them). */
  readonly pager: Pager;
  /** @internal Counts and bytes (limits.ts reads them). */
  readonly figures: QueueFigures;
  private readonly clock: Clock;
  /** @internal Deadlines and their timer (redelivery.ts tracks requeued entries). */
  readonly expiry: Expiry;
  private readonly idle: IdleTimer;
  private readonly dispatcher = new Dispatcher(this);
  /** By priority, highest first, round-robin within one; and in arrival order (the active one of x-single-active-consumer). */
  private readonly consumers = this.dispatcher.consumers;
  private exclusiveConsumer = false;
  private hadConsumer = false;
  private nextSeq = 1;
  private drainScheduled = false;
  private readonly flowWaiters = new Set<FlowListener>();
  /** x-message-deduplication: repeated messages are dropped at enqueue. */
  private readonly dedup: Deduplicator | undefined;
  // Timers and deferred callbacks run outside any connection's handler: what they throw is contained here.
  private readonly drainLater = (): void => {
    this.drainScheduled = false;
    try {
      this.drain();
    } catch (err) {
      if (this.contained(err, 'drain')) this.clock.setTimeout(() => this.scheduleDrain(), RETRY_AFTER_ERROR_MS).unref?.();
    }
  };
  private readonly idleExpired = (): void => {
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
    this.clock = options.clock ?? systemClock;
    this.pager = new Pager(persistence, this.settings.maxPriority, this);
    this.figures = new QueueFigures(persistence !== undefined);
    this.expiry = new Expiry(this.clock, this.pager, this);
    this.idle = new IdleTimer(this.clock, this.idleExpired);
    const dedup = Deduplicator.from(options.arguments);
    this.dedup = typeof dedup === 'string' ? undefined : dedup;
    this.touch();
  }

  get messageCount(): number {
    return this.pager.count;
  }

  /** True when consumers exist but entries pile up in memory faster than they are delivered. */
  get congested(): boolean {
    return this.consumers.size > 0 && this.pager.inMemory >= FLOW_HIGH;
  }

  /** Registers a paused publisher; it is told once the queue is under FLOW_LOW, loses its consumers or goes away. */
  waitForRelief(listener: FlowListener): void {
    this.flowWaiters.add(listener);
  }

  private relieve(): void {
    if (this.flowWaiters.size === 0) return;
    if (!this.deleted && this.consumers.size > 0 && this.pager.inMemory > FLOW_LOW) return;
    const waiters = [...this.flowWaiters];
    this.flowWaiters.clear();
    for (const waiter of waiters) waiter.queueRelieved(this);
  }

  /** @internal The queue's clock reading. */
  now(): number {
    return this.clock.now();
  }

  /** @internal An unexpected exception, contained (the queue goes on). */
  reportError(err: unknown, during: string): void {
    this.hooks.error?.(this, err, during);
  }

  get isPersistent(): boolean {
    return this.persistence !== undefined;
  }

  /** Start-up: the store holds `stats.messages` entries for this queue; the first window is loaded. */
  recover(stats: QueueStats): void {
    this.nextSeq = stats.lastSeq + 1;
    this.figures.recover(stats.messages, stats.bytes);
    this.pager.recover(stats.messages, stats.bytes, this.clock.now());
    this.expiry.arm();
  }

  /** messages_unacknowledged; see QueueFigures. */
  get unackedCount(): number {
    return this.figures.unackedCount;
  }

  /** Body bytes of the ready messages (memory and stored tail): message_bytes_ready. */
  get readyBytes(): number {
    return this.figures.readyBytes;
  }

  /** Body bytes of the unacknowledged deliveries: message_bytes_unacknowledged. */
  get unackedBytes(): number {
    return this.figures.unackedBytes;
  }

  /** Body bytes of the stored tail (message_bytes_paged_out). */
  get tailBytes(): number {
    return this.pager.tailBytes;
  }

  /** Ready entries held in memory (the stored tail excluded): messages_ready_ram. */
  get readyInMemory(): number {
    return this.pager.inMemory;
  }

  /** Ready persistent entries only in the store (messages_paged_out). */
  get pagedOut(): number {
    return this.pager.tailCount;
  }

  /** The next message to deliver (head_message_timestamp). Reading it may page in, as the next delivery would; a
   * store fault is reported, not thrown. */
  get headMessage(): Message | undefined {
    try {
      return this.pager.peek()?.message;
    } catch (err) {
      this.contained(err, 'paging');
      return undefined;
    }
  }

  /** When the oldest ready message arrived (epoch ms; queue health); undefined when none is, or the store failed. */
  get oldestReadyArrival(): number | undefined {
    return this.headMessage === undefined ? undefined : this.pager.oldestArrival();
  }

  /** Persistent messages (ready and unacknowledged) of a durable queue: messages_persistent. */
  get persistentCount(): number {
    return this.figures.persistentCount;
  }

  /** Their body bytes: message_bytes_persistent. */
  get persistentBytes(): number {
    return this.figures.persistentBytes;
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

  // ---- in and out --------------------------------------------------------------------------------

  /**
   * Adds a message. Returns false when x-overflow reject-publish(-dlx) refused it because the queue is full (the
   * publisher's confirm becomes a nack).
   */
  enqueue(message: Message): boolean {
    const settings = this.settings;
    if (this.dedup !== undefined && this.dedup.isDuplicate(message, this.clock.now())) return true;
    if (settings.overflow !== 'drop-head' && wouldOverflow(this, message.body.length)) {
      if (settings.overflow === 'reject-publish-dlx' && settings.deadLetterExchange !== undefined) {
        this.hooks.deadLetter?.(this, message, 'maxlen');
      }
      return false;
    }
    this.stats.publish++;
    const seq = this.nextSeq++;
    const ttl = settings.messageTtl;
    const expiration = message.expiration;
    const timed = ttl !== undefined || expiration >= 0; // a deadline reads the precise clock, an arrival the coarse
    const now = timed ? this.clock.now() : coarseNow(this.clock);
    const expiresAt = !timed ? 0 : now + (ttl === undefined || (expiration >= 0 && expiration < ttl) ? expiration : ttl);
    const persistence = this.persistence;
    const stored = persistence !== undefined && message.persistent;
    const priority = settings.maxPriority === undefined ? 0 : this.priorityOf(message);
    if (stored) {
      if (message.id === 0) message.id = persistence.store.nextMessageId();
      const level = settings.maxPriority === undefined ? undefined : priority;
      persistence.store.enqueue(persistence.queueId, seq, message as Message & { id: number }, expiresAt, level);
    }
    this.figures.readyIn(message);
    const entry = newEntry(message, seq, expiresAt, priority, now);
    const placed = this.pager.place(entry, stored);
    if (placed !== Placed.Ready) {
      if (placed === Placed.Overflow && expiresAt !== 0) this.expiry.track(entry);
      if (expiresAt !== 0) this.expiry.arm();
      // Behind a stored tail the length limits hold too (drop-head trims the head, wherever it is).
      if (settings.maxLength !== undefined || settings.maxLengthBytes !== undefined) dropHeadOverLimit(this);
      return true;
    }
    if (this.consumers.size > 0) this.dispatcher.deliverReady(timed ? now : 0);
    if (expiresAt !== 0 && entry.state === EntryState.Ready) {
      if (expiresAt <= now) {
        // x-message-ttl 0 (or expiration 0) and no consumer took it at once: it expires now, as in RabbitMQ.
        this.pager.removed(entry);
        this.figures.readyOut(message);
        this.drop(entry, 'expired');
      } else {
        this.expiry.track(entry);
        this.expiry.arm();
      }
    }
    if (settings.maxLength !== undefined || settings.maxLengthBytes !== undefined) dropHeadOverLimit(this);
    if (this.flowWaiters.size > 0) this.relieve();
    return true;
  }

  /**
   * basic.get: the next ready entry, or undefined when empty. With noAck it is settled at once. `handOver` sends it
   * first: if that throws, the entry goes back where it was, unchanged, and the error propagates.
   */
  take(noAck: boolean, handOver?: (entry: QueueEntry) => void): QueueEntry | undefined {
    this.touch();
    return this.dispatcher.take(noAck, handOver);
  }

  /**
   * An entry was acked, or rejected/nacked without requeue (`rejected`): it leaves the store, and a rejected one
   * goes to the dead-letter exchange.
   */
  settle(entry: QueueEntry, rejected = false): void {
    this.figures.unackedOut(entry.message);
    if (entry.state === EntryState.Gone) return;
    entry.state = EntryState.Gone;
    if (rejected && this.settings.deadLetterExchange !== undefined && !this.deleted && this.hooks.deadLetter !== undefined) {
      this.hooks.deadLetter(this, entry.message, 'rejected', () => this.unstore(entry));
      return;
    }
    this.unstore(entry, true);
  }

  /** @internal Leaves the ready list: settled (noAck) or unacked; the store hears of it if it comes back (redelivery.ts). */
  delivered(entry: QueueEntry, noAck: boolean): void {
    entry.state = noAck ? EntryState.Gone : EntryState.Unacked;
    const persistence = this.persistence;
    if (noAck && persistence !== undefined && entry.message.id !== 0) {
      persistence.store.remove(persistence.queueId, entry.seq, entry.message.id, true);
    }
  }

  private unstore(entry: QueueEntry, final = false /* acked: the message goes nowhere else (Store.remove) */): void {
    const persistence = this.persistence;
    if (persistence !== undefined && entry.message.id !== 0 && !this.deleted) {
      persistence.store.remove(persistence.queueId, entry.seq, entry.message.id, final);
    }
  }

  /** @internal Takes a ready entry (already out of its list, bytes uncounted) out of the queue for `reason`. */
  drop(entry: QueueEntry, reason: DeathReason): void {
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
  contained(err: unknown, during: string): boolean {
    if (err instanceof StoreError && err.code === 'STORE_CLOSED') {
      this.stop();
      return false;
    }
    this.hooks.error?.(this, err, during);
    return true;
  }

  /** @internal A ready entry (out of its list, bytes uncounted) leaves the queue for the quarantine. */
  setAside(entry: QueueEntry, reason: string): void {
    entry.state = EntryState.Gone;
    this.hooks.setAside?.(this, entry.message, reason);
    this.unstore(entry);
  }

  // ---- PagerHost and ExpiryHost: what paging and expiry ask of the queue ----------------------------

  /** A stored entry that cannot be delivered (storedMessageProblem) leaves the store for the quarantine. */
  unreadable(record: StoredEntry, reason: string): void {
    this.figures.storedOut(Buffer.isBuffer(record.message.body) ? record.message.body.length : 0);
    this.hooks.setAside?.(this, record.message, reason);
    const persistence = this.persistence;
    if (persistence !== undefined) persistence.store.remove(persistence.queueId, record.seq, record.message.id);
  }

  loaded(entry: QueueEntry): void {
    this.expiry.track(entry);
  }

  get armable(): boolean {
    return !this.deleted && !this.stopped;
  }

  deadLetterCongested(): boolean {
    return this.settings.deadLetterExchange !== undefined && this.hooks.deadLetterCongested?.() === true;
  }

  expiryTurnEnded(): void {
    if (this.flowWaiters.size > 0) this.relieve();
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
    for (const entry of entries) this.figures.unackedOut(entry.message);
    if (this.deleted || entries.length === 0) return;
    if (requeue(this, entries)) this.expiry.arm();
    const { maxLength, maxLengthBytes, overflow } = this.settings;
    if (overflow === 'drop-head' && (maxLength !== undefined || maxLengthBytes !== undefined)) dropHeadOverLimit(this);
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
    for (const entry of this.pager.drainAll()) entry.state = EntryState.Gone;
    this.figures.clearReady();
    this.expiry.clear();
    this.expiry.arm();
  }

  // ---- consumers and lifecycle -------------------------------------------------------------------

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
    if (settings.overflow === 'drop-head') dropHeadOverLimit(this);
  }

  /** Broker shutdown: the queue's timers stop for good (its store is about to close). */
  stop(): void {
    this.stopped = true;
    this.idle.stop();
    this.expiry.stop();
  }

  /** A queue.declare of this queue counts as use for x-expires. */
  declared(): void {
    this.touch();
  }

  /** Called by the vhost on delete: tells every consumer, drops the messages, returns how many there were. */
  destroy(): number {
    this.deleted = true;
    this.idle.stop();
    this.expiry.stop();
    for (const consumer of this.consumers.clear()) consumer.cancelledByBroker(this);
    const count = this.messageCount;
    this.clearReady();
    this.relieve();
    return count;
  }

  /** The queue was used: restart the x-expires period (or stop it while consumers exist). */
  private touch(): void {
    if (this.deleted || this.stopped) return;
    this.idle.restart(this.settings.expires, this.consumers.size > 0);
  }

  // ---- dispatch to consumers ---------------------------------------------------------------------

  /** Defers a drain to the next turn; used when capacity appears in bulk (acks, requeue, socket drain). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.deleted) return;
    this.drainScheduled = true;
    setImmediate(this.drainLater);
  }

  /** Delivers ready entries to consumers with capacity, up to a budget per turn. */
  drain(): void {
    this.dispatcher.deliverReady(0);
    if (this.flowWaiters.size > 0) this.relieve();
  }
}
