import type { MessageRecord, StoredEntry } from '../store/store';
import { EntryState, type QueueEntry } from './message';
import type { BrowsableLevel, QueuePersistence } from './paging';
import type { Queue } from './queue';

/** A ready message as the browser shows it: where it is and what it is; nothing of the queue changes. */
export interface BrowsedMessage {
  /** Its place in delivery order, 0 = the next to deliver. */
  readonly position: number;
  /** Its position in its queue (the store's and the queue's seq): re-drive takes it out by this. */
  readonly seq: number;
  /** The store's message id (0: a transient message). */
  readonly id: number;
  /** Its deadline (ms since the epoch), 0 when it never expires. */
  readonly expiresAt: number;
  /** Index of its level in delivery order (0: the highest priority). */
  readonly level: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: Buffer;
  readonly body: Buffer;
  /** In memory (an entry of the ready list) or only in the store. */
  readonly entry: QueueEntry | undefined;
}

/** Stored entries read from the store at once while walking a level's stored tail. */
const STORE_CHUNK = 512;

/** Where a cursor is inside one level: its in-memory ready list, then its stored tail merged with its overflow. */
const enum Phase {
  Ready = 0,
  Tail = 1,
}

/**
 * Walks a queue's ready messages in delivery order without taking any: each level (highest priority first) is its
 * in-memory ready list, then its stored tail (read from the store by seq, a chunk at a time) merged by seq with the
 * transient entries waiting behind it (overflow). Positioning at an offset skips whole levels by count and, inside
 * a stored tail, asks the store for the seq at that rank on its index, so a page deep in a paged-out backlog costs
 * one index walk and one page read, never the messages before it.
 *
 * The queue may change between calls (a consumer takes the head, publishers add to the tail, the head loads stored
 * entries): the walk goes on by seq, so it never repeats or skips a message that stays, but what it hands out may
 * have left since it was read (TakenMessage.take checks before it takes), and positions are as of the walk.
 */
export class BrowseCursor {
  private readonly levels: readonly BrowsableLevel[];
  private readonly persistence: QueuePersistence | undefined;
  private level = 0;
  private phase = Phase.Ready;
  /** Ready phase: the seq the next entries come after (by seq, so removals at the head do not shift the walk). */
  private readyAfter = 0;
  /** Tail phase: stored entries read and not yet emitted, where the next read starts, and whether more may wait. */
  private stored: StoredEntry[] = [];
  private storedIndex = 0;
  private storedAfter = 0;
  private storedMore = false;
  private overflow: QueueEntry[] = [];
  private overflowIndex = 0;
  /** Position of the next message emitted. */
  position: number;

  constructor(queue: Queue, offset = 0) {
    const view = queue.pager.browsable();
    this.levels = view.levels;
    this.persistence = view.persistence;
    this.position = offset;
    this.seek(offset);
  }

  /** Up to `max` further messages in delivery order; fewer only at the end of the queue. */
  next(max: number): BrowsedMessage[] {
    const out: BrowsedMessage[] = [];
    while (out.length < max && this.level < this.levels.length) {
      const level = this.levels[this.level] as BrowsableLevel;
      if (this.phase === Phase.Ready) {
        const want = max - out.length;
        const entries = level.ready.sliceAfter(this.readyAfter, want);
        for (const entry of entries) out.push(this.fromEntry(entry));
        const last = entries[entries.length - 1];
        if (last !== undefined) this.readyAfter = last.seq;
        if (entries.length < want) this.enterTail(level);
        continue;
      }
      if (!this.tailNext(level, out, max)) this.nextLevel();
    }
    return out;
  }

  // ---- positioning -------------------------------------------------------------------------------

  private seek(offset: number): void {
    let left = offset;
    for (; this.level < this.levels.length; this.level++) {
      const level = this.levels[this.level] as BrowsableLevel;
      const inMemory = level.ready.length;
      if (left < inMemory) {
        this.phase = Phase.Ready;
        const first = level.ready.slice(left, 1)[0];
        this.readyAfter = first === undefined ? 0 : first.seq - 1;
        return;
      }
      left -= inMemory;
      const tailCount = this.tailCount(level);
      if (left < tailCount + level.overflow.length) {
        this.seekInTail(level, left);
        return;
      }
      left -= tailCount + level.overflow.length;
    }
  }

  /** Stored tail entries of a level (after loadedThrough). */
  private tailCount(level: BrowsableLevel): number {
    const p = this.persistence;
    if (p === undefined || !level.tail) return 0;
    return p.store.countEntries(p.queueId, level.loadedThrough, Number.MAX_SAFE_INTEGER, level.storeLevel);
  }

  /** Places the cursor at rank `rank` of the level's stored tail merged with its overflow. */
  private seekInTail(level: BrowsableLevel, rank: number): void {
    this.enterTail(level);
    const overflow = this.overflow;
    const p = this.persistence;
    const stored = p !== undefined && level.tail;
    // How many overflow entries come before `rank`: the first j whose merged rank (j + stored entries before it)
    // reaches `rank`. The merged rank grows with j, so a binary search over the overflow finds it.
    let lo = 0;
    let hi = overflow.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const seq = (overflow[mid] as QueueEntry).seq;
      const before = stored ? p.store.countEntries(p.queueId, level.loadedThrough, seq, level.storeLevel) : 0;
      if (mid + before < rank) lo = mid + 1;
      else hi = mid;
    }
    this.overflowIndex = lo;
    const skipStored = rank - lo;
    if (stored && skipStored > 0) {
      const seq = p.store.entrySeqAt(p.queueId, level.loadedThrough, skipStored, level.storeLevel);
      if (seq === 0) this.storedMore = false;
      else this.storedAfter = seq - 1;
    }
  }

  private enterTail(level: BrowsableLevel): void {
    this.phase = Phase.Tail;
    this.stored = [];
    this.storedIndex = 0;
    this.storedAfter = level.loadedThrough;
    this.storedMore = level.tail && this.persistence !== undefined;
    this.overflow = level.overflow.slice(0, level.overflow.length);
    this.overflowIndex = 0;
  }

  private nextLevel(): void {
    this.level++;
    this.phase = Phase.Ready;
    this.readyAfter = 0;
    this.stored = [];
    this.overflow = [];
  }

  // ---- walking -----------------------------------------------------------------------------------

  /** Emits the level's next tail messages into `out` (up to max); false once the level has none left. */
  private tailNext(level: BrowsableLevel, out: BrowsedMessage[], max: number): boolean {
    while (out.length < max) {
      if (this.storedIndex >= this.stored.length && this.storedMore) this.readStored(level);
      const a = this.stored[this.storedIndex];
      let b = this.overflow[this.overflowIndex];
      while (b !== undefined && b.state !== EntryState.Ready) b = this.overflow[++this.overflowIndex];
      if (a === undefined && b === undefined) return false;
      if (b === undefined || (a !== undefined && a.seq < b.seq)) {
        this.storedIndex++;
        out.push(this.fromStored(a as StoredEntry));
      } else {
        this.overflowIndex++;
        out.push(this.fromEntry(b));
      }
    }
    return true;
  }

  private readStored(level: BrowsableLevel): void {
    const p = this.persistence as QueuePersistence;
    this.stored = p.store.loadEntries(p.queueId, this.storedAfter, STORE_CHUNK, level.storeLevel);
    this.storedIndex = 0;
    const last = this.stored[this.stored.length - 1];
    if (last !== undefined) this.storedAfter = last.seq;
    if (this.stored.length < STORE_CHUNK) this.storedMore = false;
  }

  private fromEntry(entry: QueueEntry): BrowsedMessage {
    return this.emit(entry.seq, entry.redelivered, entry.expiresAt, entry.message, entry);
  }

  private fromStored(record: StoredEntry): BrowsedMessage {
    return this.emit(record.seq, record.redelivered, record.expiresAt, record.message, undefined);
  }

  private emit(seq: number, redelivered: boolean, expiresAt: number, m: MessageParts, entry: QueueEntry | undefined): BrowsedMessage {
    return {
      position: this.position++,
      seq,
      expiresAt,
      id: m.id,
      level: this.level,
      redelivered,
      exchange: m.exchange,
      routingKey: m.routingKey,
      properties: m.properties,
      body: m.body,
      entry,
    };
  }
}

type MessageParts = Pick<MessageRecord, 'id' | 'exchange' | 'routingKey' | 'properties' | 'body'>;
