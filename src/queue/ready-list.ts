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
