import type { MessagePort } from 'node:worker_threads';
import type { BatchMessage } from '../batch-encoding';
import type { ReadName } from './reads';

/* What the broker's thread (channel.ts) and the PostgreSQL store's worker (worker-main.ts) say to each other. */

export interface WorkerData {
  readonly url: string;
  readonly applicationName: string;
  /** The epoch every write transaction checks; -1: not fenced. */
  readonly fenceEpoch: number;
  /** This store instance, recorded with each committed batch so a commit of unknown outcome can be looked up. */
  readonly writerId: string;
  /** Client-side bound of every query of the worker (a partitioned database must not hang it forever). */
  readonly queryTimeoutMs: number;
  readonly port: MessagePort;
  /** Bumped after every message posted back, for Atomics.wait on the broker's thread. */
  readonly signal: SharedArrayBuffer;
  /**
   * Test hooks, word 0: while 1, a transaction stops just before COMMIT (it posts 'held'); 2: the next COMMIT that
   * succeeds is treated as if its reply were lost (the connection dropped), once.
   */
  readonly hold: SharedArrayBuffer;
}

export type WorkerRequest =
  | BatchMessage
  | { readonly type: 'read'; readonly id: number; readonly name: ReadName; readonly args: readonly unknown[] }
  | { readonly type: 'purge'; readonly id: number; readonly queueId: number }
  | { readonly type: 'close'; readonly markClean: boolean };

export type WorkerReply =
  | { readonly type: 'ready'; readonly error?: string }
  | { readonly type: 'committed'; readonly seq: number; readonly written: number }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'fenced'; readonly error: string }
  | { readonly type: 'warn'; readonly obj: object; readonly msg: string }
  | { readonly type: 'held' }
  | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly type: 'closed'; readonly error?: string };
