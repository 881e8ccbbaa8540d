import type { Store, StoredEntry } from '../store/store';
import { Arrivals } from './arrivals';
import { newEntry, storedMessageProblem, type Message, type QueueEntry } from './message';
import { FifoReadyList } from './ready-list';

/** Stored entries a durable queue keeps in memory; the rest stays in the store until the head reaches it. */
export const WINDOW = 4096;
/** Below this many ready entries in the level being delivered from, the next stored entries are loaded. */
const REFILL_AT = WINDOW / 2;

/** A durable queue's link to the store: persistent messages are written there under the queue's store id. */
export interface QueuePersistence {
  readonly store: Store;
  readonly queueId: number;
}

/** What the pager asks of its queue while it loads from the store. */
export interface PagerHost {
  /** An entry with a deadline came into memory from the store: its expiry is to be tracked. */
  loaded(entry: QueueEntry): void;
  /** A stored entry cannot be delivered (storedMessageProblem): it leaves the queue for the quarantine. */
  unreadable(record: StoredEntry, problem: string): void;
}

/** Where enqueue put an entry. */
export const enum Placed {
  /** In memory, deliverable in its turn. */
  Ready = 0,
  /** In memory but behind stored entries of its level (a transient message): it waits in the level's overflow. */
  Overflow = 1,
  /** Only in the store (a persistent message past the window); counted, not held. */
  Tail = 2,
}

/** What the browser (browse.ts) reads of one level, highest level first; it changes nothing. */
export interface BrowsableLevel {
  readonly ready: FifoReadyList;
  readonly overflow: FifoReadyList;
  readonly loadedThrough: number;
  readonly tail: boolean;
  readonly storeLevel: number | undefined;
}

/**
 * One priority level (the only one of a FIFO queue): its ready entries in memory, and what is left of it in the
 * store after `loadedThrough`.
 */
class Level {
  readonly ready = new FifoReadyList();
  /** Transient entries that arrived while stored entries of this level wait (the tail), in seq order. */
  readonly overflow = new FifoReadyList();
  /** Seq of the last stored entry of this level brought into memory; its tail starts after it. */
  loadedThrough = 0;
  /** Stored entries of this level may wait after loadedThrough (false once a read comes back short). */
  tail = false;

  constructor(
    readonly priority: number,
    /** The level as the store knows it: undefined for a FIFO queue, whose entries have none. */
    readonly storeLevel: number | undefined,
  ) {}
}

/**
 * A queue's ready entries in delivery order, with paging from the store: the in-memory head window of each level,
 * and the count, bytes and earliest deadline of what is left only in the store (the tail).
 *
 * A durable queue writes persistent messages to the store and keeps only a window of them in memory: once WINDOW
 * entries are ready, further persistent entries of a level live only in the store and are loaded in seq order as
 * that level's head drains. Transient entries arriving while their level has a tail wait in that level's overflow
 * and are merged back by seq, so order is kept across both.
 *
 * A priority queue (x-max-priority) has one level per priority, delivered highest first, FIFO within one; each
 * level pages on its own (the store reads entries by level), and the window bounds the entries of all levels
 * together. The level being delivered from may load a further REFILL_AT entries past it, so a full window of lower
 * levels never stalls a higher one: memory stays within WINDOW + REFILL_AT entries (transient ones aside).
 */
export class Pager {
  private readonly levels: Level[];
  /** Live entries in the levels' ready lists (overflow not counted). */
  private live = 0;
  private overflowed = 0;
  /** Persistent entries only in the store, over all levels. */
  tailCount = 0;
  /** Body bytes of the stored tail (messages_paged_out / message_bytes_paged_out). */
  tailBytes = 0;
  /** A lower bound on the earliest deadline in the stored tail; 0 when it has none. */
  tailNextExpiry = 0;
  /** Entries the ready lists hold at most before persistent ones stay in the store. */
  private readonly window: number;
  /** When the stored tail's entries arrived, for the ones paged back in (queue health). */
  private readonly arrivals = new Arrivals();

  constructor(
    private readonly persistence: QueuePersistence | undefined,
    maxPriority: number | undefined,
    private readonly host: PagerHost,
    window = WINDOW,
  ) {
    this.window = window;
    this.levels =
      maxPriority === undefined
        ? [new Level(0, undefined)]
        : Array.from({ length: maxPriority + 1 }, (_, p) => new Level(p, p));
  }

  /** The queue's store cannot commit for now (Store.deliveriesHeld): a durable queue delivers nothing until it can. */
  get deliveriesHeld(): boolean {
    return this.persistence?.store.deliveriesHeld === true;
  }

  /** Ready entries held in memory, overflow included (messages_ready_ram). */
  get inMemory(): number {
    return this.live + this.overflowed;
  }

  /** Ready entries in the ready lists (the overflow and the stored tail excluded). */
  get readyLength(): number {
    return this.live;
  }

  /** Every ready entry: in memory and in the stored tail. */
  get count(): number {
    return this.live + this.overflowed + this.tailCount;
  }

  /** The levels in delivery order (highest first) and the store they page from, for the browser. */
  browsable(): { levels: readonly BrowsableLevel[]; persistence: QueuePersistence | undefined } {
    return { levels: [...this.levels].reverse(), persistence: this.persistence };
  }

  /**
   * Start-up: the store holds `messages` entries of `bytes` body bytes for this queue; the first window is loaded.
   * The store keeps no arrival times: recovered entries count their age from `now`.
   */
  recover(messages: number, bytes: number, now = 0): void {
    this.arrivals.clear();
    this.arrivals.recoveredAt = now;
    this.tailCount = messages;
    this.tailBytes = bytes;
    for (const level of this.levels) {
      level.loadedThrough = 0;
      level.tail = messages > 0;
    }
    for (let p = this.levels.length - 1; p >= 0 && this.live < this.window && this.tailCount > 0; p--) {
      this.refill(this.levels[p] as Level);
    }
    this.tailNextExpiry = this.tailCount > 0 ? this.nextTailExpiry() : 0;
  }

  /** Places a new entry (`stored`: it was written to the store): in memory, behind its level's tail, or in it. */
  place(entry: QueueEntry, stored: boolean): Placed {
    const level = this.levels[entry.priority] as Level;
    if (level.tail || (stored && this.live >= this.window)) {
      if (stored) {
        level.tail = true;
        this.tailCount++;
        this.arrivals.note(entry.seq, entry.arrivedAt);
        this.tailBytes += entry.message.body.length;
        const expiresAt = entry.expiresAt;
        if (expiresAt !== 0 && (this.tailNextExpiry === 0 || expiresAt < this.tailNextExpiry)) this.tailNextExpiry = expiresAt;
        return Placed.Tail;
      }
      entry.overflowed = true;
      level.overflow.push(entry);
      this.overflowed++;
      return Placed.Overflow;
    }
    level.ready.push(entry);
    this.live++;
    if (stored) level.loadedThrough = entry.seq;
    return Placed.Ready;
  }

  /** The next entry in delivery order, loading from the store as needed; undefined when none is ready. */
  peek(): QueueEntry | undefined {
    return this.head()?.ready.peek();
  }

  /**
   * When the oldest ready entry arrived (epoch ms), undefined when none is ready. The delivery head is paged in as
   * the next delivery would; in a priority queue a lower level's head may be older: its arrival is read where the
   * level has it in memory, else from the arrival marks of its stored tail (never later than the real one).
   */
  oldestArrival(): number | undefined {
    const head = this.peek();
    if (head === undefined) return undefined;
    let oldest = head.arrivedAt;
    if (this.levels.length === 1) return oldest;
    for (const level of this.levels) {
      const first = level.ready.peek() ?? (level.tail ? undefined : level.overflow.peek());
      const at = first?.arrivedAt ?? (level.tail ? this.arrivals.arrivalOf(level.loadedThrough + 1) : undefined);
      if (at !== undefined && at < oldest) oldest = at;
    }
    return oldest;
  }

  /** Removes and returns the next entry in delivery order, loading from the store as needed. */
  shift(): QueueEntry | undefined {
    const level = this.head();
    if (level === undefined) return undefined;
    this.live--;
    return level.ready.shift();
  }

  /** The ready entry `entry` (in memory) was marked Gone by the queue (expired where it sat). */
  removed(entry: QueueEntry): void {
    const level = this.levels[entry.priority] as Level;
    if (entry.overflowed) {
      level.overflow.removed(entry);
      this.overflowed--;
    } else {
      level.ready.removed(entry);
      this.live--;
    }
  }

  /** A stored tail entry of `bytes` body bytes was taken out of the store by the browser's re-drive. */
  tailRemoved(bytes: number): void {
    this.tailCount = Math.max(0, this.tailCount - 1);
    this.tailBytes = Math.max(0, this.tailBytes - bytes);
  }

  /** An entry the re-drive took out (removed(), then set Ready again) goes back where it was, in its list or overflow. */
  putBack(entry: QueueEntry): void {
    const level = this.levels[entry.priority] as Level;
    if (entry.overflowed) {
      level.overflow.revive(entry);
      this.overflowed++;
    } else {
      level.ready.revive(entry);
      this.live++;
    }
  }

  /** A delivered entry comes back (requeued): the store keeps that it was delivered, for after a restart. */
  markReturned(entry: QueueEntry): void {
    const persistence = this.persistence;
    if (persistence !== undefined && entry.message.id !== 0) persistence.store.markDelivered(persistence.queueId, entry.seq);
  }

  /** Puts entries (sorted by seq, state Ready) back at their places in their levels. */
  restore(entries: readonly QueueEntry[]): void {
    if (entries.length === 0) return;
    if (this.levels.length === 1) (this.levels[0] as Level).ready.restore(entries);
    else {
      for (const level of this.levels) {
        const mine = entries.filter((e) => e.priority === level.priority);
        if (mine.length > 0) level.ready.restore(mine);
      }
    }
    this.live += entries.length;
  }

  /** Removes every entry held in memory and forgets the tail (the store is purged by the caller); returns them. */
  drainAll(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const level of this.levels) {
      // One push per entry: spreading a million entries into one call overflows the stack.
      for (const entry of level.ready.drainAll()) out.push(entry);
      for (const entry of level.overflow.drainAll()) out.push(entry);
      level.tail = false;
    }
    this.live = 0;
    this.overflowed = 0;
    this.tailCount = 0;
    this.tailBytes = 0;
    this.tailNextExpiry = 0;
    this.arrivals.clear();
    return out;
  }

  /**
   * Stored tail entries of every level past their deadline at `now`, up to `limit`, by deadline then seq. They
   * leave the tail's figures; the caller drops them (the store still holds them until it does).
   */
  takeExpired(now: number, limit: number): StoredEntry[] {
    const persistence = this.persistence;
    if (persistence === undefined) {
      this.tailNextExpiry = 0;
      return [];
    }
    const { store, queueId } = persistence;
    const due: StoredEntry[] = [];
    for (const level of this.levels) {
      if (!level.tail || due.length >= limit) continue;
      due.push(...store.loadExpired(queueId, level.loadedThrough, now, limit - due.length, level.storeLevel));
    }
    if (this.levels.length > 1) due.sort(byDeadline);
    for (const record of due) {
      this.tailCount--;
      if (Buffer.isBuffer(record.message.body)) this.tailBytes = Math.max(0, this.tailBytes - record.message.body.length);
    }
    if (due.length < limit) this.tailNextExpiry = this.tailCount === 0 ? 0 : this.nextTailExpiry();
    return due;
  }

  /** A queue entry for a stored record of `priority`. */
  fromStore(record: StoredEntry, priority: number): QueueEntry {
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
    const entry = newEntry(message, record.seq, record.expiresAt, priority, this.arrivals.arrivalOf(record.seq));
    entry.redelivered = record.redelivered;
    return entry;
  }

  /** The highest level with a ready entry, its stored entries loaded first when it runs low. */
  private head(): Level | undefined {
    const levels = this.levels;
    for (let p = levels.length - 1; p >= 0; p--) {
      const level = levels[p] as Level;
      if (level.tail && level.ready.length < REFILL_AT) this.refill(level);
      if (level.ready.length > 0) return level;
    }
    return undefined;
  }

  /** Loads the level's next stored entries, merging its waiting transient entries by seq. */
  private refill(level: Level): void {
    const persistence = this.persistence;
    if (persistence === undefined || !level.tail) return;
    const room = Math.max(this.window - this.live, REFILL_AT);
    const stored = persistence.store.loadEntries(persistence.queueId, level.loadedThrough, room, level.storeLevel);
    for (const record of stored) {
      for (let next = level.overflow.peek(); next !== undefined && next.seq < record.seq; next = level.overflow.peek()) {
        this.fromOverflow(level);
      }
      const problem = storedMessageProblem(record.message);
      if (problem !== undefined) {
        this.tailCount = Math.max(0, this.tailCount - 1);
        this.tailBytes = Math.max(0, this.tailBytes - (Buffer.isBuffer(record.message.body) ? record.message.body.length : 0));
        this.host.unreadable(record, problem);
        continue;
      }
      const entry = this.fromStore(record, level.priority);
      this.tailCount = Math.max(0, this.tailCount - 1);
      this.tailBytes = Math.max(0, this.tailBytes - entry.message.body.length);
      level.ready.push(entry);
      this.live++;
      if (entry.expiresAt !== 0) this.host.loaded(entry);
    }
    const last = stored[stored.length - 1];
    if (last !== undefined) level.loadedThrough = last.seq;
    if (stored.length < room) this.endTail(level);
    if (this.levels.every((l) => !l.tail)) this.tailCount = 0;
    this.forgetArrivals();
    if (this.tailCount === 0) {
      this.tailBytes = 0;
      this.tailNextExpiry = 0;
      for (const l of this.levels) if (l.tail) this.endTail(l);
    }
  }

  /** Arrival marks behind every level's loaded entries are no longer needed (all of them once no tail is left). */
  private forgetArrivals(): void {
    let through = Infinity;
    for (const l of this.levels) if (l.tail && l.loadedThrough < through) through = l.loadedThrough;
    if (through === Infinity) this.arrivals.clear();
    else this.arrivals.loadedThrough(through);
  }

  /** The level has nothing left in the store: its waiting transient entries join its ready list. */
  private endTail(level: Level): void {
    level.tail = false;
    while (level.overflow.length > 0) this.fromOverflow(level);
  }

  private fromOverflow(level: Level): void {
    const entry = level.overflow.shift() as QueueEntry;
    this.overflowed--;
    entry.overflowed = false;
    level.ready.push(entry);
    this.live++;
  }

  /** The earliest deadline among the stored tail's entries of every level; 0 when none expires. */
  private nextTailExpiry(): number {
    const persistence = this.persistence;
    if (persistence === undefined) return 0;
    let next = 0;
    for (const level of this.levels) {
      if (!level.tail) continue;
      const at = persistence.store.nextExpiry(persistence.queueId, level.loadedThrough, level.storeLevel);
      if (at !== 0 && (next === 0 || at < next)) next = at;
    }
    return next;
  }
}

function byDeadline(a: StoredEntry, b: StoredEntry): number {
  return a.expiresAt - b.expiresAt || a.seq - b.seq;
}
