import type Database from 'better-sqlite3';

/**
 * How often, and how many bytes of pages at most, free space is given back: 256 KiB every 32 ms (8 MiB/s), about
 * 0.1 ms each. Larger steps stalled the event loop long enough to show as every connection's p99 latency while a
 * deleted backlog's space was being returned (32 MiB every 5 s: ~40 ms stalls; 1 MiB every 125 ms: p99 of
 * scenario g 1.2 ms against 0.3 ms without). Whichever thread writes the database runs it.
 */
export const RECLAIM_INTERVAL_MS = 32;
const RECLAIM_BYTES_PER_TICK = 256 * 1024;

/** Free pages given back per tick, for the database's page size. */
export function reclaimPagesPerTick(db: Database.Database): number {
  return Math.max(1, Math.floor(RECLAIM_BYTES_PER_TICK / (db.pragma('page_size', { simple: true }) as number)));
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
