import type Database from 'better-sqlite3';
import { systemClock, type Clock, type Timer } from '../../util/clock';

/**
 * How often, and how many bytes of pages at most, free space is given back: 256 KiB every 32 ms (8 MiB/s), about
 * 0.1 ms each. Larger steps stalled the event loop long enough to show as every connection's p99 latency while a
 * deleted backlog's space was being returned (32 MiB every 5 s: ~40 ms stalls; 1 MiB every 125 ms: p99 of
 * scenario g 1.2 ms against 0.3 ms without). Whichever thread writes the database runs it.
 */
const RECLAIM_INTERVAL_MS = 32;
const RECLAIM_BYTES_PER_TICK = 256 * 1024;
/** How often the free space is looked at while there is nothing to give back. */
const IDLE_INTERVAL_MS = 1000;

/**
 * Free space the timer leaves alone: under a steady flow the pages freed by acks are reused by the next inserts,
 * and moving them to the end of the file only to shrink it would be writes for nothing (scenario d ran about 4 %
 * faster without it). Space beyond this is a drained backlog's, and goes back to the file system.
 */
const RESERVE_BYTES = 8 * 1024 * 1024;

/** What a tick of the timer does, for the database's page size. */
export interface ReclaimTick {
  readonly pagesPerTick: number;
  readonly reservePages: number;
  readonly freeCount: Database.Statement<[], number>;
}

export function reclaimTickFor(db: Database.Database): ReclaimTick {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  return {
    pagesPerTick: Math.max(1, Math.floor(RECLAIM_BYTES_PER_TICK / pageSize)),
    reservePages: Math.floor(RESERVE_BYTES / pageSize),
    freeCount: db.prepare<[], number>('PRAGMA freelist_count').pluck(),
  };
}

/** A tick of the timer: gives back a step of the free pages beyond the reserve. True when it gave some back. */
export function reclaimTick(db: Database.Database, tick: ReclaimTick, fsync: boolean): boolean {
  const free = tick.freeCount.get() ?? 0;
  if (free <= tick.reservePages) return false;
  reclaimFreePages(db, Math.min(tick.pagesPerTick, free - tick.reservePages), fsync);
  return true;
}

/**
 * The reclamation timer of the thread that writes the database: a step every 32 ms while there is space to give
 * back, a look once a second otherwise (an idle broker is not woken 31 times a second for nothing).
 */
export class Reclaimer {
  private timer: Timer | undefined;
  private readonly tick: ReclaimTick;

  constructor(
    private readonly db: Database.Database,
    private readonly fsync: boolean,
    /** Whether this thread is the one that writes now. */
    private readonly active: () => boolean,
    private readonly clock: Clock = systemClock,
  ) {
    this.tick = reclaimTickFor(db);
    this.schedule(IDLE_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly run = (): void => {
    this.timer = undefined;
    const busy = this.active() && reclaimTick(this.db, this.tick, this.fsync);
    this.schedule(busy ? RECLAIM_INTERVAL_MS : IDLE_INTERVAL_MS);
  };

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(this.run, ms);
    this.timer.unref?.();
  }
}

/**
 * Returns up to `maxPages` free pages to the file system (the file shrinks after a backlog drains). Bounded so
 * that one call blocks its thread only briefly; a no-op for files created without incremental auto-vacuum.
 * Returns how many pages were free before the call.
 */
export function reclaimFreePages(db: Database.Database, maxPages: number, fsync: boolean): number {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free === 0 || maxPages <= 0) return free;
  // Moving free pages loses nothing if a crash undoes it, so its commit skips the fsync (WAL with synchronous
  // NORMAL stays consistent); the next regular commit syncs the WAL anyway. incremental_vacuum(0) would clear the
  // whole freelist at once, hence the maxPages guard above.
  if (fsync) db.pragma('synchronous = NORMAL');
  try {
    db.pragma(`incremental_vacuum(${Math.min(free, maxPages)})`);
  } finally {
    if (fsync) db.pragma('synchronous = FULL');
  }
  return free;
}
