import type { DelayedRecord } from './store';

/*
 * Delayed messages (x-delayed-message exchanges): their buffered ops, which join a store's group-commit batch like
 * every other write, and the overlay through which a store's reads see the batch being buffered (sqlite/delayed.ts).
 * A putDelayed whose removeDelayed arrives while both are buffered is cancelled: neither reaches the database.
 */

// ---- buffered ops (numbered after ops.ts's) ----

export const PUT_DELAYED = 18;
export const REMOVE_DELAYED = 19;
export const DELETE_DELAYED = 20;

export interface PutDelayedOp {
  readonly kind: typeof PUT_DELAYED;
  readonly record: DelayedRecord;
  cancelled: boolean;
}

export type DelayedOp =
  | PutDelayedOp
  | { readonly kind: typeof REMOVE_DELAYED; readonly id: number }
  | { readonly kind: typeof DELETE_DELAYED; readonly vhost: string; readonly exchange: string };

// ---- the buffered batch as seen by reads ----

export class DelayedOverlay {
  /** Buffered puts of the batch that nothing cancelled, by id. */
  readonly puts = new Map<number, PutDelayedOp>();
  /** Ids whose removal is buffered and whose put is not in the batch: their rows may be on disk. */
  readonly removed = new Set<number>();
  /** A buffered deleteDelayed or deleteVhost hides rows on disk: reads must write the batch first. */
  hidesRows = false;

  put(op: PutDelayedOp): void {
    this.puts.set(op.record.id, op);
  }

  /** Returns true when the removal cancelled a buffered put, so that nothing is to be written. */
  remove(id: number): boolean {
    const put = this.puts.get(id);
    if (put !== undefined) {
      put.cancelled = true;
      this.puts.delete(id);
      return true;
    }
    this.removed.add(id);
    return false;
  }

  /** Cancels the buffered puts of one exchange (exchange given) or of a whole vhost. */
  drop(vhost: string, exchange: string | undefined): void {
    for (const [id, op] of this.puts) {
      if (op.record.vhost !== vhost || (exchange !== undefined && op.record.exchange !== exchange)) continue;
      op.cancelled = true;
      this.puts.delete(id);
    }
    this.hidesRows = true;
  }

  clear(): void {
    this.puts.clear();
    this.removed.clear();
    this.hidesRows = false;
  }
}
