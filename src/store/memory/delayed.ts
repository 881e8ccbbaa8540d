import type { DelayedRecord } from '../store';

/*
 * The MemoryStore's delayed messages: records by id, and a binary min-heap of them ordered by (dueAt, id).
 * Removal is lazy: a removed record stays in the heap until it reaches the top, where reads discard it (a record
 * is live while `byId` maps its id to that very object). The heap is rebuilt when dead records dominate it, so it
 * stays within twice the live count.
 *
 * put, remove: O(log n) / O(1); nextDue: O(1) amortized; loadDue(limit): O(limit log n) (the due records are popped,
 * collected and pushed back: the caller removes them once delivered); drop of an exchange or vhost: O(n).
 */
export class MemoryDelayed {
  private readonly byId = new Map<number, DelayedRecord>();
  /** (vhost \0 exchange) -> live records of that exchange */
  private readonly counts = new Map<string, number>();
  private heap: DelayedRecord[] = [];
  private lastId = 0;

  nextId(): number {
    return ++this.lastId;
  }

  put(record: DelayedRecord): void {
    const previous = this.byId.get(record.id);
    if (previous !== undefined) this.forget(previous);
    this.byId.set(record.id, record);
    const k = exchangeKey(record.vhost, record.exchange);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    this.push(record);
  }

  remove(id: number): void {
    const record = this.byId.get(id);
    if (record === undefined) return;
    this.byId.delete(id);
    this.forget(record);
    this.compactIfSparse();
  }

  loadDue(now: number, limit: number): DelayedRecord[] {
    const out: DelayedRecord[] = [];
    while (out.length < limit) {
      const top = this.liveTop();
      if (top === undefined || top.dueAt > now) break;
      out.push(this.pop()!);
    }
    for (const record of out) this.push(record);
    return out;
  }

  nextDue(): number {
    return this.liveTop()?.dueAt ?? 0;
  }

  /** Drops the records of one exchange (exchange given) or of a whole vhost. */
  drop(vhost: string, exchange: string | undefined): void {
    for (const [id, record] of this.byId) {
      if (record.vhost !== vhost || (exchange !== undefined && record.exchange !== exchange)) continue;
      this.byId.delete(id);
      this.forget(record);
    }
    this.compactIfSparse();
  }

  count(vhost: string, exchange: string): number {
    return this.counts.get(exchangeKey(vhost, exchange)) ?? 0;
  }

  // ---- heap ----

  private forget(record: DelayedRecord): void {
    const k = exchangeKey(record.vhost, record.exchange);
    const n = (this.counts.get(k) ?? 1) - 1;
    if (n > 0) this.counts.set(k, n);
    else this.counts.delete(k);
  }

  /** The earliest live record, discarding dead ones above it. */
  private liveTop(): DelayedRecord | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.byId.get(top.id) === top) return top;
      this.pop();
    }
  }

  private compactIfSparse(): void {
    if (this.heap.length < 64 || this.heap.length < 2 * this.byId.size) return;
    this.heap = [...this.byId.values()].sort(before);
  }

  private push(record: DelayedRecord): void {
    const heap = this.heap;
    let i = heap.push(record) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(heap[parent]!, record) <= 0) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = record;
  }

  private pop(): DelayedRecord | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) < 0 ? right : left;
      if (before(last, heap[child]!) <= 0) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: DelayedRecord, b: DelayedRecord): number {
  return a.dueAt - b.dueAt || a.id - b.id;
}

function exchangeKey(vhost: string, exchange: string): string {
  return `${vhost}\u0000${exchange}`;
}
