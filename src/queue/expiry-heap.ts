import { EntryState, type QueueEntry } from './message';

/**
 * The in-memory entries of one queue that have a deadline, as a binary min-heap on expiresAt, so the queue's one
 * timer always targets the earliest deadline wherever that entry sits (not only at the head). Entries that left
 * the ready list stay in the heap until they surface or a compaction drops them.
 */
export class ExpiryHeap {
  private heap: QueueEntry[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(entry: QueueEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as QueueEntry)) break;
      heap[i] = heap[parent] as QueueEntry;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The earliest deadline among entries still ready (stale tops are dropped), or 0 when none. */
  nextDeadline(): number {
    const heap = this.heap;
    while (heap.length > 0 && (heap[0] as QueueEntry).state !== EntryState.Ready) this.pop();
    return heap.length === 0 ? 0 : (heap[0] as QueueEntry).expiresAt;
  }

  /** Removes and returns the earliest entry when its deadline is <= now (ready or not), else undefined. */
  popDue(now: number): QueueEntry | undefined {
    const top = this.heap[0];
    if (top === undefined || top.expiresAt > now) return undefined;
    return this.pop();
  }

  /** Drops entries no longer ready when they make up most of the heap (they would hold messages in memory). */
  compact(live: number): void {
    if (this.heap.length < 1024 || this.heap.length < 2 * live) return;
    const kept = this.heap.filter((e) => e.state === EntryState.Ready);
    this.heap = [];
    for (const entry of kept) this.push(entry);
  }

  clear(): void {
    this.heap = [];
  }

  private pop(): QueueEntry {
    const heap = this.heap;
    const top = heap[0] as QueueEntry;
    const last = heap.pop() as QueueEntry;
    if (heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right] as QueueEntry, heap[left] as QueueEntry) ? right : left;
      if (!before(heap[child] as QueueEntry, last)) break;
      heap[i] = heap[child] as QueueEntry;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** Heap order: by deadline, then by seq, so entries due in the same millisecond expire in publish order. */
function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.seq < b.seq);
}
