import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { encodeBatch, type BatchMessage } from '../batch-encoding';
import { spawnStoreThread, waitForThread, writeError } from '../store-thread';
import type { Op } from './ops';
import type { BatchWriter, FlushMode, WriterEvents } from './writer';

/*
 * The broker's side of a SqliteStore's writer thread (writer-main.ts), one of the two BatchWriters (writer.ts). Under a stream of persistent messages most
 * of the broker's time went to SQLite: the statements of a batch and its COMMIT (WAL pages, fsync) ran on the event
 * loop, so every connection waited for them, confirms came a batch late, and consumers were refilled once per long
 * turn. With the thread, a turn's batch is encoded and posted, and the loop goes on; the thread commits what arrived
 * while it was busy in one transaction and reports the last batch it holds. Listeners of a batch are called when
 * that report arrives, so nothing is confirmed before it is on disk, as before.
 *
 * Reads stay on the broker's connection (WAL lets it read while the thread writes): a read first waits, blocking,
 * until every batch sent is committed, so it sees every earlier write. The wait is Atomics.wait on a shared word the
 * thread bumps after each message it posts; the messages themselves are taken with receiveMessageOnPort
 * (../store-thread.ts). The two
 * writes that return a value (purge, reclaim) are synchronous calls to the thread, in order after the batches.
 */

export interface WriterData {
  readonly file: string;
  readonly durability: 'fsync' | 'relaxed' | undefined;
  readonly port: MessagePort;
  readonly signal: SharedArrayBuffer;
}

export type WriterRequest =
  | BatchMessage
  | { readonly type: 'purge'; readonly queueId: number }
  | { readonly type: 'reclaim'; readonly maxPages: number }
  | { readonly type: 'close' };

export type WriterReply =
  | { readonly type: 'ready'; readonly error?: string }
  | { readonly type: 'committed'; readonly seq: number; readonly written: number }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'warn'; readonly obj: object; readonly msg: string }
  | { readonly type: 'crashed'; readonly error: string }
  | { readonly type: 'reply'; readonly value?: number; readonly error?: string }
  | { readonly type: 'closed'; readonly error?: string };

/** The thread's events: a writer's, and `ready` once the thread has started. */
export interface ThreadEvents extends WriterEvents {
  ready(thread: WriterThread): void;
}

/** How long a blocking wait may take before the store reports the thread as stuck. */
const WAIT_LIMIT_MS = 60_000;

/**
 * A batch that reaches this many ops waits for the one in flight (back-pressure on the event loop, see takes). Each
 * op waiting costs about 3.5 KiB of RSS with 1 KiB bodies (the op, its encoding, the thread's copy): 600k
 * unconfirmed persistent publishes peaked at 190 MiB with 2,000, 273 MiB with 10,000.
 */
const THREAD_BATCH_LIMIT = 2_000;

export class WriterThread implements BatchWriter {
  readonly maxBatch = THREAD_BATCH_LIMIT;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private sentSeq = 0;
  private committedSeq = 0;
  /** The last failure, while batches wait for their retry. */
  private error: string | undefined;
  private replies: WriterReply[] = [];
  private dead: Error | undefined;
  private closing = false;
  /** The port keeps the process alive while batches are in flight, as a pending setImmediate did inline. */
  private refed = false;
  isReady = false;
  private readonly handleSync = (reply: unknown): void => this.handle(reply as WriterReply, true);

  constructor(
    file: string,
    durability: 'fsync' | 'relaxed' | undefined,
    private readonly events: ThreadEvents,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: WriterData = { file, durability, port: port2, signal: this.signal.buffer as SharedArrayBuffer };
    this.worker = spawnWriter(data);
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.die(new Error(`the writer thread exited (code ${code})`));
    });
    this.worker.unref();
    port1.on('message', (reply: WriterReply) => this.handle(reply, false));
    port1.unref();
  }

  /** Batches sent and not yet committed. */
  get behind(): boolean {
    return this.committedSeq < this.sentSeq;
  }

  get lastSent(): number {
    return this.sentSeq;
  }

  get lastCommitted(): number {
    return this.committedSeq;
  }

  /**
   * One batch in flight at a time: while the thread commits, the next batch gathers in the store, where an enqueue
   * whose ack arrives meanwhile cancels out and never reaches the disk; the thread's report sends it. A full batch
   * waits for the one in flight, blocking, as writing it on the loop would have: without that the event loop kept
   * reading publishes the thread could not keep up with, and buffered them (457 MiB of RSS for 600k unconfirmed
   * persistent 1 KiB publishes, against 163 MiB when written on the loop).
   */
  takes(mode: FlushMode): boolean {
    if (mode === 'limit' && this.behind) this.waitWhileWriting();
    return mode !== 'turn' || !this.behind;
  }

  /** Posts ops as the next batch; returns its number. */
  send(ops: readonly Op[], lastMessageId: number, lastDelayedId: number): number {
    const seq = ++this.sentSeq;
    const { message, transfer } = encodeBatch(seq, ops, lastMessageId, lastDelayedId);
    this.port.postMessage(message, transfer);
    if (!this.refed) {
      this.refed = true;
      this.port.ref();
    }
    return seq;
  }

  /** Blocks until the thread has started (or could not). */
  waitReady(): void {
    this.waitFor(() => this.isReady || this.dead !== undefined);
    if (this.dead) throw this.dead;
  }

  /** Blocks until every batch sent is committed; a StoreError STORE_IO while they wait for a retry. */
  waitCommitted(): void {
    this.waitWhileWriting();
    if (this.dead) throw writeError(this.dead.message);
    if (this.committedSeq < this.sentSeq) throw writeError(this.error ?? 'unknown');
  }

  /** Blocks while batches sent are being committed; returns at once when they wait for a retry, or the thread is gone. */
  private waitWhileWriting(): void {
    this.waitFor(() => this.committedSeq >= this.sentSeq || this.error !== undefined || this.dead !== undefined);
  }

  purge(queueId: number): number {
    return this.call({ type: 'purge', queueId });
  }

  reclaim(maxPages: number): number {
    return this.call({ type: 'reclaim', maxPages });
  }

  /** Commits what is queued, closes the thread's connection and ends the thread. */
  close(): void {
    this.closing = true;
    if (this.dead === undefined) {
      this.port.postMessage({ type: 'close' } satisfies WriterRequest);
      this.waitFor(() => this.replies.some((r) => r.type === 'closed') || this.dead !== undefined);
    }
    this.port.close();
    void this.worker.terminate();
  }

  private call(request: WriterRequest): number {
    if (this.dead) throw writeError(this.dead.message);
    this.replies = [];
    this.port.postMessage(request);
    this.waitFor(() => this.replies.length > 0 || this.dead !== undefined);
    const reply = this.replies.shift();
    if (reply === undefined || reply.type !== 'reply') throw writeError((this.dead as Error | undefined)?.message ?? 'no reply');
    if (reply.error !== undefined) throw writeError(reply.error);
    return reply.value ?? 0;
  }

  private waitFor(done: () => boolean): void {
    const timeout = 'the writer thread did not answer within a minute';
    waitForThread(this.signal, this.port, this.handleSync, done, WAIT_LIMIT_MS, timeout);
  }

  private handle(reply: WriterReply, sync: boolean): void {
    switch (reply.type) {
      case 'ready':
        if (reply.error !== undefined) {
          this.die(new Error(reply.error));
          return;
        }
        this.isReady = true;
        this.events.ready(this);
        break;
      case 'committed':
        this.committedSeq = reply.seq;
        if (this.refed && this.committedSeq >= this.sentSeq) {
          this.refed = false;
          this.port.unref();
        }
        if (this.error !== undefined) {
          this.error = undefined;
          this.events.recovered();
        }
        this.events.committed(reply.seq, reply.written, sync);
        break;
      case 'failed':
        this.error = reply.error;
        this.events.failed(reply.error);
        break;
      case 'warn':
        this.events.warn(reply.obj, reply.msg);
        break;
      case 'crashed':
        this.die(new Error(reply.error));
        break;
      case 'reply':
      case 'closed':
        this.replies.push(reply);
        break;
    }
  }

  private die(err: Error): void {
    if (this.dead !== undefined) return;
    this.dead = err;
    this.events.crashed(err);
  }
}

/**
 * A module the writer thread requires before its entry when the broker runs from its TypeScript sources, where
 * there is no compiled writer-main.js next to this file: something must teach that thread's `require` to load .ts.
 * Production runs the compiled .js and never sets it. A process started with a require hook (`node -r hook.cjs`)
 * needs none either: the thread inherits the process's execArgv. Tests under jest, whose transform does not reach
 * worker threads, register one (src/store/sqlite/test-support/writer-hook.ts).
 */
let typeScriptHook: string | undefined;

/** Sets the module (an absolute path) that lets the writer thread load writer-main.ts; see typeScriptHook. */
export function setWriterTypeScriptHook(hook: string | undefined): void {
  typeScriptHook = hook;
}

/** Starts writer-main: the compiled .js next to this file, or, when this file runs as TypeScript, the .ts. */
function spawnWriter(data: WriterData): Worker {
  // A thread that cannot load its entry says so the way writer-main would, so that a blocking wait sees it.
  const failure = { type: 'crashed', text: 'the writer thread could not load its code: ' };
  return spawnStoreThread({ dir: __dirname, name: 'writer-main', typeScriptHook, failure }, data);
}
