import type { FlushMode } from '../group-commit-base';
import type { Op } from './ops';

/*
 * What writes a SqliteStore's batches. Two writers implement it:
 *   InlineWriter (inline-writer.ts)  writes on the caller's thread, through the store's own connection: a batch is
 *                                    on disk when send returns, or refused (it stays buffered in the store and the
 *                                    writer asks for it again after a pause);
 *   WriterThread (thread-writer.ts)  posts the batch to a worker thread with its own connection (writer-main.ts):
 *                                    send always takes it, and the commit is reported later, by batch number.
 * The store's group commit (group-commit.ts) drives either through these methods and events alone.
 */

/** Why the buffered batch is being written (../group-commit-base.ts). */
export type { FlushMode } from '../group-commit-base';

export interface BatchWriter {
  /** Ops a buffered batch may reach before it is written at once (the store's batchLimit applies too). */
  readonly maxBatch: number;
  /** Batches taken and not yet committed. */
  readonly behind: boolean;
  /** The number of the last batch taken. */
  readonly lastSent: number;
  /** The number of the last batch committed. */
  readonly lastCommitted: number;
  /**
   * Whether the buffered batch should be handed over now, for this reason. May block: a full batch ('limit') waits
   * for the one in flight, as writing it on the loop would have.
   */
  takes(mode: FlushMode): boolean;
  /**
   * Hands a batch over; returns its number, or undefined when it could not be written (it stays with the caller,
   * the failure is reported through WriterEvents.failed, and `retry` follows). `lastMessageId`/`lastDelayedId` are
   * the id counters to persist with it, 0 for unchanged. The ops are the writer's from now on.
   */
  send(ops: Op[], lastMessageId: number, lastDelayedId: number): number | undefined;
  /** Returns once every batch taken is committed; a StoreError STORE_IO when that cannot be. */
  waitCommitted(): void;
  /** Drops a queue's entries, after every batch taken; returns how many there were. */
  purge(queueId: number): number;
  /** Gives up to maxPages free pages back to the file system; returns how many were free before. */
  reclaim(maxPages: number): number;
  /** Commits what it holds (if it can) and stops; the store's own connection stays open. */
  close(): void;
}

/** What a writer tells the store. Each writer uses the events that apply to it. */
export interface WriterEvents {
  /** Batches up to seq are on disk; `sync` when reported inside a store call (listeners then run on a microtask). */
  committed(seq: number, written: number, sync: boolean): void;
  /** A batch could not be written; it will be retried. `ops` is its size when the writer knows it. */
  failed(err: unknown, ops?: number): void;
  /** A batch was written after a failure. */
  recovered(): void;
  /** The buffered batch should be handed over again (after a failure, a pause has passed). */
  retry(): void;
  warn(obj: object, msg: string): void;
  /** The writer is gone for good: nothing more will be committed. */
  crashed(err: Error): void;
}

/** How long a failed batch waits before it is tried again. */
export const RETRY_MS = 1000;
