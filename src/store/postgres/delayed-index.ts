/*
 * The PostgreSQL store's index of its delayed messages, on the broker's thread: id -> (due time, vhost, exchange) for
 * every delayed message stored or buffered, loaded at open and kept by every delayed write. The scheduler reads
 * (nextDue, loadDue) every time its timer fires; with this index nextDue never leaves the thread, and loadDue asks
 * the database only when something is due (for the bodies of exactly those ids). Bodies stay in the database.
 *
 * A binary min-heap on (dueAt, id) with lazy deletion: a removed id stays in the heap until it reaches the top (or
 * the heap is rebuilt when dead entries outnumber live ones).
 */

interface Info {
  readonly dueAt: number;
  readonly vhost: string;
  readonly exchange: string;
}

export class DelayedIndex {
  private readonly byId = new Map<number, Info>();
  private heapDue: number[] = [];
  private heapId: number[] = [];

  get size(): number {
    return this.byId.size;
  }

  put(id: number, dueAt: number, vhost: string, exchange: string): void {
    this.byId.set(id, { dueAt, vhost, exchange });
    this.push(dueAt, id);
  }

  remove(id: number): void {
    this.byId.delete(id);
    this.compactIfSparse();
  }

  /** Drops one exchange's delayed messages (exchange given) or a whole vhost's. */
  drop(vhost: string, exchange: string | undefined): void {
    for (const [id, info] of this.byId) {
      if (info.vhost === vhost && (exchange === undefined || info.exchange === exchange)) this.byId.delete(id);
    }
    this.compactIfSparse();
  }

  /** The smallest dueAt; 0 when there is none. */
  nextDue(): number {
    this.dropDeadTop();
    return this.heapDue.length === 0 ? 0 : this.heapDue[0]!;
  }

  /** Up to `limit` ids with dueAt <= now, by dueAt then id. */
  due(now: number, limit: number): number[] {
    const out: number[] = [];
    const dues: number[] = [];
    while (out.length < limit) {
      this.dropDeadTop();
      if (this.heapDue.length === 0 || this.heapDue[0]! > now) break;
      dues.push(this.heapDue[0]!);
      out.push(this.pop());
    }
    for (let i = 0; i < out.length; i++) this.push(dues[i]!, out[i]!);
    return out;
  }

  private live(i: number): boolean {
    return this.byId.get(this.heapId[i]!)?.dueAt === this.heapDue[i];
  }

  private dropDeadTop(): void {
    while (this.heapDue.length > 0 && !this.live(0)) this.pop();
  }

  private compactIfSparse(): void {
    if (this.heapDue.length <= 2 * this.byId.size + 64) return;
    this.heapDue = [];
    this.heapId = [];
    for (const [id, info] of this.byId) this.push(info.dueAt, id);
  }

  private less(a: number, b: number): boolean {
    const da = this.heapDue[a]!;
    const db = this.heapDue[b]!;
    return da < db || (da === db && this.heapId[a]! < this.heapId[b]!);
  }

  private swap(a: number, b: number): void {
    const d = this.heapDue[a]!;
    this.heapDue[a] = this.heapDue[b]!;
    this.heapDue[b] = d;
    const i = this.heapId[a]!;
    this.heapId[a] = this.heapId[b]!;
    this.heapId[b] = i;
  }

  private push(dueAt: number, id: number): void {
    this.heapDue.push(dueAt);
    this.heapId.push(id);
    let i = this.heapDue.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): number {
    const top = this.heapId[0]!;
    const last = this.heapDue.length - 1;
    this.swap(0, last);
    this.heapDue.pop();
    this.heapId.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < last && this.less(l, m)) m = l;
      if (r < last && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}
