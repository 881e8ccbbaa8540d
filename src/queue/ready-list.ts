import { Deque } from '../util/deque';
import { EntryState, type QueueEntry } from './message';

/**
 * A queue's ready entries in delivery order. Entries can leave from the middle (expiry by deadline): they are
 * marked Gone by the queue and skipped here as tombstones, so removal is O(1) and `length` counts live entries.
 */
export interface ReadyList {
  readonly length: number;
  push(entry: QueueEntry): void;
  /** The next live entry, removed; undefined when none. */
  shift(): QueueEntry | undefined;
  peek(): QueueEntry | undefined;
  /** `entry` (live, in this list) was marked Gone by the caller. */
  removed(entry: QueueEntry): void;
  /** Puts entries (sorted by seq, state Ready) back at their places by seq. */
  restore(entries: readonly QueueEntry[]): void;
  /** Removes every entry and returns the live ones, oldest first. */
  drainAll(): QueueEntry[];
}

export class FifoReadyList implements ReadyList {
  private readonly items = new Deque<QueueEntry>();
  private live = 0;

  get length(): number {
    return this.live;
  }

  push(entry: QueueEntry): void {
    this.items.push(entry);
    this.live++;
  }

  shift(): QueueEntry | undefined {
    if (this.live === 0) {
      if (this.items.length > 0) this.items.clear();
      return undefined;
    }
    for (;;) {
      const entry = this.items.shift() as QueueEntry;
      if (entry.state === EntryState.Ready) {
        this.live--;
        return entry;
      }
    }
  }

  peek(): QueueEntry | undefined {
    if (this.live === 0) return undefined;
    let head = this.items.peek() as QueueEntry;
    while (head.state !== EntryState.Ready) {
      this.items.shift();
      head = this.items.peek() as QueueEntry;
    }
    return head;
  }

  removed(_entry?: QueueEntry): void {
    this.live--;
    if (this.live === 0) this.items.clear();
  }

  restore(entries: readonly QueueEntry[]): void {
    if (entries.length === 0) return;
    const head = this.peek();
    const last = entries[entries.length - 1] as QueueEntry;
    if (head === undefined || last.seq < head.seq) {
      for (let i = entries.length - 1; i >= 0; i--) this.items.unshift(entries[i] as QueueEntry);
    } else {
      const merged = this.liveEntries().concat(entries).sort(bySeq);
      this.items.reset(merged);
    }
    this.live += entries.length;
  }

  /** Up to `count` live entries from the `start`-th live one on, in order (browse: the list is not changed). */
  slice(start: number, count: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    const items = this.items;
    if (items.length === this.live) {
      for (let i = start; i < items.length && out.length < count; i++) out.push(items.at(i) as QueueEntry);
      return out;
    }
    let rank = 0;
    for (let i = 0; i < items.length && out.length < count; i++) {
      const entry = items.at(i) as QueueEntry;
      if (entry.state !== EntryState.Ready) continue;
      if (rank++ >= start) out.push(entry);
    }
    return out;
  }

  /** Up to `count` live entries with seq > afterSeq, in order (entries are kept sorted by seq: a binary search). */
  sliceAfter(afterSeq: number, count: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    const items = this.items;
    for (let i = this.firstAfter(afterSeq); i < items.length && out.length < count; i++) {
      const entry = items.at(i) as QueueEntry;
      if (entry.state === EntryState.Ready) out.push(entry);
    }
    return out;
  }

  /**
   * `entry`, marked Gone and removed() a moment ago, is Ready again (a re-drive that could not publish it): it is
   * counted again where its tombstone still stands, or restored by seq if the list let go of it meanwhile.
   */
  revive(entry: QueueEntry): void {
    if (this.find(entry.seq) === entry) this.live++;
    else this.restore([entry]);
  }

  /** The live entry of this seq, if the list holds it. */
  find(seq: number): QueueEntry | undefined {
    const entry = this.items.at(this.firstAfter(seq - 1));
    return entry !== undefined && entry.seq === seq && entry.state === EntryState.Ready ? entry : undefined;
  }

  private firstAfter(seq: number): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((items.at(mid) as QueueEntry).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  drainAll(): QueueEntry[] {
    const out = this.liveEntries();
    this.items.clear();
    this.live = 0;
    return out;
  }

  private liveEntries(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const entry of this.items.toArray()) if (entry.state === EntryState.Ready) out.push(entry);
    return out;
  }
}

function bySeq(a: QueueEntry, b: QueueEntry): number {
  return a.seq - b.seq;
}
