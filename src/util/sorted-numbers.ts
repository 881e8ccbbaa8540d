/**
 * A set of numbers kept in descending order, for many insertions and removals anywhere and walks in order: the
 * numbers sit in chunks of at most CHUNK, so an insertion or removal moves at most a chunk's worth of elements plus
 * a list of chunks (O(sqrt n)-ish), where one flat sorted array would move up to all of them (O(n), quadratic over n
 * insertions at the front).
 */
const CHUNK = 512;

export class SortedNumbers {
  private chunks: number[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(value: number): boolean {
    const chunk = this.chunks[this.chunkFor(value)];
    return chunk !== undefined && indexIn(chunk, value) >= 0;
  }

  /** Adds `value`; false when it was there already. */
  add(value: number): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([value]);
      this.count = 1;
      return true;
    }
    const c = Math.min(this.chunkFor(value), this.chunks.length - 1);
    const chunk = this.chunks[c] as number[];
    const at = insertionPoint(chunk, value);
    if (chunk[at] === value) return false;
    chunk.splice(at, 0, value);
    this.count++;
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK));
    return true;
  }

  /** Removes `value`; false when it was not there. */
  delete(value: number): boolean {
    const c = this.chunkFor(value);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const at = indexIn(chunk, value);
    if (at < 0) return false;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** Highest first. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** The numbers as runs, highest first, for walks that must not allocate (read only). */
  get runs(): readonly (readonly number[])[] {
    return this.chunks;
  }

  /** The chunk whose range holds `value` (descending: the first whose last element is <= value), or the last one. */
  private chunkFor(value: number): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid] as number[];
      if ((chunk[chunk.length - 1] as number) > value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Where `value` goes in a descending chunk (the first index whose element is <= value). */
function insertionPoint(chunk: readonly number[], value: number): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((chunk[mid] as number) > value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexIn(chunk: readonly number[], value: number): number {
  const at = insertionPoint(chunk, value);
  return chunk[at] === value ? at : -1;
}
