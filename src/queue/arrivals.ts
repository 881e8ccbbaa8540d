/** Arrivals closer together than this share one mark: the arrival time of a paged-in entry is known to this. */
export const ARRIVAL_RESOLUTION_MS = 1_000;
/** Marks kept at most; past it every other one is dropped (the resolution halves, the memory stays bounded). */
const MAX_MARKS = 4_096;

/**
 * When the entries a durable queue keeps only in the store arrived, for queue health (the age of the oldest ready
 * message) once they are paged back in. The store keeps no arrival time, and one per stored entry would cost memory
 * the paging is there to save; instead the pager notes a mark (seq, time) for the first entry going to the store in
 * each ARRIVAL_RESOLUTION_MS, so an entry read back arrived at the time of the last mark at or before its seq (up to
 * one resolution early: the age is never under-stated). Seqs only grow within a queue, so the marks stay sorted; the
 * ones behind the head are dropped as entries are paged in.
 *
 * Entries recovered from the store at start have no marks: they count from `recoveredAt` (their age is at least that).
 */
export class Arrivals {
  private seqs: number[] = [];
  private times: number[] = [];
  /** Marks before this index are dropped (compacted away in bulk). */
  private start = 0;
  /** Arrival time given to entries older than every mark: the recovery time, 0 before any recovery. */
  recoveredAt = 0;

  get size(): number {
    return this.seqs.length - this.start;
  }

  /** An entry of `seq` that arrived at `time` went to the store (seq greater than any noted before). */
  note(seq: number, time: number): void {
    const last = this.seqs.length - 1;
    if (last >= this.start && time - (this.times[last] as number) < ARRIVAL_RESOLUTION_MS) return;
    if (this.size >= MAX_MARKS) this.thin();
    this.seqs.push(seq);
    this.times.push(time);
  }

  /** When the stored entry `seq` arrived: the time of the last mark at or before it, else recoveredAt. */
  arrivalOf(seq: number): number {
    const seqs = this.seqs;
    let lo = this.start;
    let hi = seqs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((seqs[mid] as number) <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? this.recoveredAt : (this.times[found] as number);
  }

  /**
   * Entries up to `seq` are in memory now: marks they no longer need go, keeping the last one at or before `seq`
   * (later stored entries up to the next mark arrived at its time).
   */
  loadedThrough(seq: number): void {
    const seqs = this.seqs;
    let i = this.start;
    while (i + 1 < seqs.length && (seqs[i + 1] as number) <= seq) i++;
    this.start = i;
    if (this.start > 64 && this.start * 2 > seqs.length) this.compact();
  }

  /** The tail is gone (purge, or read to its end): no marks are needed. */
  clear(): void {
    this.seqs = [];
    this.times = [];
    this.start = 0;
  }

  private compact(): void {
    this.seqs = this.seqs.slice(this.start);
    this.times = this.times.slice(this.start);
    this.start = 0;
  }

  /** Keeps every other mark (the first always): an entry between two kept marks gets the earlier one's time. */
  private thin(): void {
    this.compact();
    const seqs: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < this.seqs.length; i += 2) {
      seqs.push(this.seqs[i] as number);
      times.push(this.times[i] as number);
    }
    this.seqs = seqs;
    this.times = times;
  }
}
