/**
 * The ready list (FIFO; a priority queue's Pager keeps one per level) with tombstones for entries that leave from the middle, and the expiry
 * min-heap the queue's one timer reads.
 */
import { ExpiryHeap } from './expiry-heap';
import { EntryState, newEntry, type Message, type QueueEntry } from './message';
import { FifoReadyList, type ReadyList } from './ready-list';

const MESSAGE: Message = {
  id: 0,
  persistent: false,
  exchange: '',
  routingKey: 'q',
  properties: Buffer.from([0, 0]),
  body: Buffer.alloc(0),
  expiration: -1,
  headers: undefined,
};

function entry(seq: number, priority = 0, expiresAt = 0): QueueEntry {
  return newEntry(MESSAGE, seq, expiresAt, priority);
}

/** Marks `e` Gone and tells the list, as the queue does when an entry expires in place. */
function kill(list: ReadyList, e: QueueEntry): void {
  e.state = EntryState.Gone;
  list.removed(e);
}

/** Shifts until empty; the seqs, in order. */
function shiftAll(list: ReadyList): number[] {
  const out: number[] = [];
  for (let e = list.shift(); e !== undefined; e = list.shift()) out.push(e.seq);
  return out;
}

/** Shifts `n` entries and marks them out with a consumer (Unacked), as a delivery does. */
function deliver(list: ReadyList, n: number): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (let i = 0; i < n; i++) {
    const e = list.shift() as QueueEntry;
    e.state = EntryState.Unacked;
    out.push(e);
  }
  return out;
}

/** Back to Ready, as requeue does before restore(). */
function ready(entries: QueueEntry[]): QueueEntry[] {
  for (const e of entries) e.state = EntryState.Ready;
  return entries;
}

describe('FifoReadyList', () => {
  test('push/shift are FIFO; peek does not remove; length counts entries; empty gives undefined', () => {
    const list = new FifoReadyList();
    expect(list.length).toBe(0);
    expect(list.peek()).toBeUndefined();
    expect(list.shift()).toBeUndefined();
    for (let seq = 1; seq <= 5; seq++) list.push(entry(seq));
    expect(list.length).toBe(5);
    expect(list.peek()?.seq).toBe(1);
    expect(list.peek()?.seq).toBe(1);
    expect(list.length).toBe(5);
    expect(list.shift()?.seq).toBe(1);
    expect(list.length).toBe(4);
    expect(shiftAll(list)).toEqual([2, 3, 4, 5]);
    expect(list.length).toBe(0);
    expect(list.shift()).toBeUndefined();
  });

  test('tombstones (Gone + removed) are skipped by shift and peek and not counted', () => {
    const list = new FifoReadyList();
    const entries = [1, 2, 3, 4, 5, 6].map((s) => entry(s));
    for (const e of entries) list.push(e);
    kill(list, entries[0] as QueueEntry); // the head
    kill(list, entries[2] as QueueEntry); // the middle
    kill(list, entries[5] as QueueEntry); // the end
    expect(list.length).toBe(3);
    expect(list.peek()?.seq).toBe(2);
    expect(shiftAll(list)).toEqual([2, 4, 5]);
    expect(list.length).toBe(0);
    expect(list.peek()).toBeUndefined();
  });

  test('peek skips a run of tombstones at the head', () => {
    const list = new FifoReadyList();
    const entries = [1, 2, 3, 4].map((s) => entry(s));
    for (const e of entries) list.push(e);
    kill(list, entries[0] as QueueEntry);
    kill(list, entries[1] as QueueEntry);
    kill(list, entries[2] as QueueEntry);
    expect(list.peek()?.seq).toBe(4);
    expect(list.length).toBe(1);
    expect(list.shift()?.seq).toBe(4);
  });

  test('when every entry is a tombstone the list is empty and usable again', () => {
    const list = new FifoReadyList();
    const entries = [1, 2, 3].map((s) => entry(s));
    for (const e of entries) list.push(e);
    for (const e of entries) kill(list, e);
    expect(list.length).toBe(0);
    expect(list.peek()).toBeUndefined();
    expect(list.shift()).toBeUndefined();
    expect(list.drainAll()).toEqual([]);
    list.push(entry(4));
    expect(list.length).toBe(1);
    expect(shiftAll(list)).toEqual([4]);
  });

  test('drainAll returns the live entries oldest first and empties the list', () => {
    const list = new FifoReadyList();
    const entries = [1, 2, 3, 4].map((s) => entry(s));
    for (const e of entries) list.push(e);
    kill(list, entries[1] as QueueEntry);
    expect(list.drainAll().map((e) => e.seq)).toEqual([1, 3, 4]);
    expect(list.length).toBe(0);
    expect(list.shift()).toBeUndefined();
  });

  test('restore() of entries older than the head puts them in front, in seq order', () => {
    const list = new FifoReadyList();
    for (let seq = 1; seq <= 5; seq++) list.push(entry(seq));
    const taken = deliver(list, 3);
    list.restore(ready([taken[0], taken[2]] as QueueEntry[]));
    expect(list.length).toBe(4);
    expect(list.peek()?.seq).toBe(1);
    expect(shiftAll(list)).toEqual([1, 3, 4, 5]);
  });

  test('restore() into an empty list', () => {
    const list = new FifoReadyList();
    for (let seq = 1; seq <= 3; seq++) list.push(entry(seq));
    const taken = deliver(list, 3);
    expect(list.length).toBe(0);
    list.restore(ready(taken));
    expect(list.length).toBe(3);
    expect(shiftAll(list)).toEqual([1, 2, 3]);
  });

  test('restore() of entries that fall between live ones merges by seq', () => {
    const list = new FifoReadyList();
    const all = [1, 2, 3, 4, 5].map((s) => entry(s));
    for (const e of all) list.push(e);
    const taken = deliver(list, 5);
    // Newer entries arrive while 2 and 4 are out, then 2 and 4 come back behind the head 3.
    list.restore(ready([taken[2]] as QueueEntry[]));
    list.push(entry(6));
    list.push(entry(8));
    list.restore(ready([taken[1], taken[3]] as QueueEntry[]));
    expect(list.length).toBe(5);
    const seven = entry(7);
    seven.state = EntryState.Unacked;
    list.restore(ready([seven]));
    expect(list.length).toBe(6);
    expect(shiftAll(list)).toEqual([2, 3, 4, 6, 7, 8]);
  });

  test('restore() with tombstones in the list: the merge drops them and counts stay right', () => {
    const list = new FifoReadyList();
    const all = [1, 2, 3, 4, 5, 6].map((s) => entry(s));
    for (const e of all) list.push(e);
    const taken = deliver(list, 2); // 1, 2 out; 3..6 ready
    kill(list, all[3] as QueueEntry); // 4 expires in place
    const late = deliver(list, 1); // 3 out; list: 4 (tombstone), 5, 6
    kill(list, all[4] as QueueEntry); // 5 expires; list: 4(t), 5(t), 6
    expect(list.length).toBe(1);
    list.restore(ready([...taken, ...late]));
    expect(list.length).toBe(4);
    expect(list.drainAll().map((e) => e.seq)).toEqual([1, 2, 3, 6]);
  });

  test('restore() of nothing changes nothing', () => {
    const list = new FifoReadyList();
    list.push(entry(1));
    list.restore([]);
    expect(list.length).toBe(1);
    expect(shiftAll(list)).toEqual([1]);
  });
});

describe('ExpiryHeap', () => {
  test('popDue returns entries in deadline order, only those due at `now`', () => {
    const heap = new ExpiryHeap();
    const deadlines = [500, 100, 300, 200, 400, 100, 600];
    deadlines.forEach((at, i) => heap.push(entry(i + 1, 0, at)));
    expect(heap.size).toBe(7);
    expect(heap.popDue(99)).toBeUndefined();
    const due: number[] = [];
    for (let e = heap.popDue(300); e !== undefined; e = heap.popDue(300)) due.push(e.expiresAt);
    expect(due).toEqual([100, 100, 200, 300]);
    expect(heap.size).toBe(3);
    expect(heap.nextDeadline()).toBe(400);
    const rest: number[] = [];
    for (let e = heap.popDue(Infinity); e !== undefined; e = heap.popDue(Infinity)) rest.push(e.expiresAt);
    expect(rest).toEqual([400, 500, 600]);
    expect(heap.size).toBe(0);
    expect(heap.nextDeadline()).toBe(0);
  });

  test('a thousand random deadlines come out sorted', () => {
    const heap = new ExpiryHeap();
    let x = 12345;
    const deadlines: number[] = [];
    for (let i = 0; i < 1000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      deadlines.push(1 + (x % 5000));
      heap.push(entry(i + 1, 0, deadlines[i] as number));
    }
    const out: number[] = [];
    for (let e = heap.popDue(Infinity); e !== undefined; e = heap.popDue(Infinity)) out.push(e.expiresAt);
    expect(out).toEqual([...deadlines].sort((a, b) => a - b));
  });

  test('equal deadlines pop in seq order (a queue TTL gives every message published in one ms the same one)', () => {
    const heap = new ExpiryHeap();
    for (let seq = 1; seq <= 40; seq++) heap.push(entry(seq, 0, seq <= 20 ? 100 : 200));
    const out: number[] = [];
    for (let e = heap.popDue(Infinity); e !== undefined; e = heap.popDue(Infinity)) out.push(e.seq);
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test('popDue returns due entries whatever their state (the caller skips them)', () => {
    const heap = new ExpiryHeap();
    const gone = entry(1, 0, 10);
    gone.state = EntryState.Gone;
    heap.push(gone);
    heap.push(entry(2, 0, 20));
    expect(heap.popDue(100)).toBe(gone);
    expect(heap.popDue(100)?.seq).toBe(2);
  });

  test('nextDeadline skips (and drops) entries that are no longer ready', () => {
    const heap = new ExpiryHeap();
    const a = entry(1, 0, 100);
    const b = entry(2, 0, 200);
    const c = entry(3, 0, 300);
    for (const e of [c, a, b]) heap.push(e);
    expect(heap.nextDeadline()).toBe(100);
    a.state = EntryState.Unacked;
    b.state = EntryState.Gone;
    expect(heap.nextDeadline()).toBe(300);
    expect(heap.size).toBe(1);
    c.state = EntryState.Gone;
    expect(heap.nextDeadline()).toBe(0);
    expect(heap.size).toBe(0);
  });

  test('compact keeps only ready entries, in deadline order, when most of a big heap is stale', () => {
    const heap = new ExpiryHeap();
    const entries: QueueEntry[] = [];
    for (let i = 0; i < 1200; i++) {
      const e = entry(i + 1, 0, 10_000 - i);
      entries.push(e);
      heap.push(e);
    }
    const live = entries.filter((_, i) => i % 10 === 0);
    for (const e of entries) if (!live.includes(e)) e.state = e.seq % 2 === 0 ? EntryState.Gone : EntryState.Unacked;
    heap.compact(live.length);
    expect(heap.size).toBe(live.length);
    const out: QueueEntry[] = [];
    for (let e = heap.popDue(Infinity); e !== undefined; e = heap.popDue(Infinity)) out.push(e);
    expect(out.every((e) => e.state === EntryState.Ready)).toBe(true);
    expect(out.map((e) => e.expiresAt)).toEqual(live.map((e) => e.expiresAt).sort((a, b) => a - b));
  });

  test('compact leaves a small heap, or one that is mostly live, as it is', () => {
    const small = new ExpiryHeap();
    for (let i = 0; i < 100; i++) {
      const e = entry(i + 1, 0, 100 + i);
      if (i > 0) e.state = EntryState.Gone;
      small.push(e);
    }
    small.compact(1);
    expect(small.size).toBe(100);

    const mostlyLive = new ExpiryHeap();
    for (let i = 0; i < 1100; i++) {
      const e = entry(i + 1, 0, 100 + i);
      if (i < 400) e.state = EntryState.Gone;
      mostlyLive.push(e);
    }
    mostlyLive.compact(700);
    expect(mostlyLive.size).toBe(1100);
  });

  test('clear empties the heap', () => {
    const heap = new ExpiryHeap();
    heap.push(entry(1, 0, 5));
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.popDue(Infinity)).toBeUndefined();
    expect(heap.nextDeadline()).toBe(0);
  });
});
