import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { encodeBatch } from '../batch-encoding';
import { StoreError } from '../errors';
import { spawnStoreThread, waitForThread, writeError } from '../store-thread';
import type { Op } from '../ops';
import type { WorkerData, WorkerReply, WorkerRequest } from './messages';
import type { ReadName } from './reads';

/*
 * The broker's side of the PostgreSQL store's worker thread (worker-main.ts). Batches are encoded and posted (the
 * loop goes on); the worker reports commits by batch number. Reads are synchronous, as the Store interface wants
 * them: the caller posts the request and blocks with Atomics.wait on a shared word the worker bumps after each
 * message it posts, taking the messages with receiveMessageOnPort (../store-thread.ts), until the answer arrives or
 * readTimeoutMs passes (StoreError STORE_IO). Everything the worker reports while the caller blocks is handled on
 * the way.
 */

export interface ChannelEvents {
  /** Batches up to seq are committed; `sync` when reported inside a blocking wait. */
  committed(seq: number, written: number, sync: boolean): void;
  failed(error: string): void;
  recovered(): void;
  /** Nothing will ever be written again (fenced, or the worker is gone). */
  dead(error: string): void;
  warn(obj: object, msg: string): void;
}

export interface ChannelOptions {
  url: string;
  applicationName: string;
  fenceEpoch: number;
  writerId: string;
  readTimeoutMs: number;
}

interface FlushWaiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class WorkerChannel {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly holdWord = new Int32Array(new SharedArrayBuffer(4));
  private sentSeq = 0;
  private committedSeq = 0;
  private nextCallId = 0;
  private reply: Extract<WorkerReply, { type: 'reply' }> | undefined;
  private flushWaiters: FlushWaiter[] = [];
  private closed: ((error: string | undefined) => void) | undefined;
  private heldWaiters: (() => void)[] = [];
  private ready: ((error: string | undefined) => void) | undefined;
  private refed = false;
  /** Why writes fail now (the worker retries); undefined while they succeed. */
  failing: string | undefined;
  /** Why nothing will ever be written again. */
  dead: string | undefined;
  private readonly handleSync = (reply: unknown): void => this.handle(reply as WorkerReply, true);

  constructor(
    private readonly options: ChannelOptions,
    private readonly events: ChannelEvents,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: WorkerData = {
      url: options.url,
      applicationName: options.applicationName,
      fenceEpoch: options.fenceEpoch,
      writerId: options.writerId,
      queryTimeoutMs: Math.max(2 * options.readTimeoutMs, 10_000),
      port: port2,
      signal: this.signal.buffer as SharedArrayBuffer,
      hold: this.holdWord.buffer as SharedArrayBuffer,
    };
    this.worker = spawnWorker(data);
    this.worker.on('error', (err) => this.die(`the store worker failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      if (this.closed === undefined) this.die(`the store worker exited (code ${code})`);
      else this.closed(this.dead);
    });
    this.worker.unref();
    port1.on('message', (reply: WorkerReply) => this.handle(reply, false));
    port1.unref();
  }

  /** Resolves once the worker has connected (rejects when it could not). */
  whenReady(): Promise<void> {
    // The port keeps the process alive until then (nothing else may: the broker does not listen yet).
    this.port.ref();
    return new Promise((resolve, reject) => {
      this.ready = (error) => {
        if (!this.refed) this.port.unref();
        if (error === undefined) resolve();
        else reject(new StoreError('STORE_UNREADABLE', error));
      };
    });
  }

  get behind(): boolean {
    return this.committedSeq < this.sentSeq;
  }

  get lastSent(): number {
    return this.sentSeq;
  }

  get lastCommitted(): number {
    return this.committedSeq;
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

  /** A read, answered synchronously. */
  read(name: ReadName, args: readonly unknown[]): unknown {
    const id = ++this.nextCallId;
    return this.call({ type: 'read', id, name, args }, id);
  }

  /** Drops a queue's entries after every batch sent; synchronous. */
  purge(queueId: number): number {
    const id = ++this.nextCallId;
    return Number(this.call({ type: 'purge', id, queueId }, id));
  }

  /** Blocks until every batch sent is committed; STORE_IO when writes fail, or take longer than readTimeoutMs. */
  waitCommitted(): void {
    this.waitFor(() => this.committedSeq >= this.sentSeq || this.failing !== undefined || this.dead !== undefined);
    if (this.dead !== undefined) throw writeError(this.dead);
    if (this.committedSeq < this.sentSeq) throw writeError(this.failing ?? 'unknown');
  }

  /** Blocks while a batch is in flight (back-pressure for a full batch); returns early when writes fail. */
  waitWhileWriting(): void {
    try {
      this.waitFor(() => this.committedSeq >= this.sentSeq || this.failing !== undefined || this.dead !== undefined);
    } catch {
      // slow: the caller sends anyway
    }
  }

  /** Resolves once every batch sent so far is committed; rejects (STORE_IO) when writes fail or stopped for good. */
  flush(): Promise<void> {
    if (this.dead !== undefined) return Promise.reject(writeError(this.dead));
    if (this.committedSeq >= this.sentSeq) return Promise.resolve();
    if (this.failing !== undefined) return Promise.reject(writeError(this.failing));
    return new Promise((resolve, reject) => this.flushWaiters.push({ seq: this.sentSeq, resolve, reject }));
  }

  /**
   * Asks the worker to commit what it holds (and, when markClean, to record a clean stop), then ends it; gives up
   * and terminates it after timeoutMs. Resolves with why the close was not clean (undefined: it was).
   */
  async close(markClean: boolean, timeoutMs: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const result = await new Promise<string | undefined>((resolve) => {
      this.closed = resolve;
      if (this.dead !== undefined) {
        resolve(this.dead);
        return;
      }
      this.port.ref();
      this.port.postMessage({ type: 'close', markClean } satisfies WorkerRequest);
      timer = setTimeout(() => resolve('the store worker did not close in time'), timeoutMs);
    });
    if (timer !== undefined) clearTimeout(timer);
    this.closed = () => undefined;
    this.port.close();
    await this.worker.terminate().catch(() => undefined);
    const err = writeError(result ?? 'the store is closed');
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
    return result;
  }

  /** Test hook: transactions stop just before COMMIT while on. */
  holdBeforeCommit(on: boolean): void {
    Atomics.store(this.holdWord, 0, on ? 1 : 0);
  }

  /** Test hook: the next COMMIT that succeeds looks, to the worker, as if its outcome were unknown. */
  loseNextCommitReply(): void {
    Atomics.store(this.holdWord, 0, 2);
  }

  /** Test hook: resolves when a transaction is held before COMMIT. */
  whenHeld(): Promise<void> {
    return new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  private call(request: WorkerRequest, id: number): unknown {
    if (this.dead !== undefined) throw writeError(this.dead);
    this.reply = undefined;
    this.port.postMessage(request);
    this.waitFor(() => this.reply?.id === id || this.dead !== undefined);
    const reply = this.reply as Extract<WorkerReply, { type: 'reply' }> | undefined;
    this.reply = undefined;
    if (reply === undefined) throw writeError(this.dead ?? 'no reply');
    if (reply.error !== undefined) throw writeError(reply.error);
    return reply.value;
  }

  private waitFor(done: () => boolean): void {
    const limit = this.options.readTimeoutMs;
    waitForThread(this.signal, this.port, this.handleSync, done, limit, `PostgreSQL did not answer within ${limit} ms`);
  }

  private handle(reply: WorkerReply, sync: boolean): void {
    switch (reply.type) {
      case 'ready':
        this.ready?.(reply.error);
        this.ready = undefined;
        break;
      case 'committed': {
        if (reply.seq > this.committedSeq) this.committedSeq = reply.seq;
        if (this.refed && this.committedSeq >= this.sentSeq) {
          this.refed = false;
          this.port.unref();
        }
        if (this.failing !== undefined) {
          this.failing = undefined;
          this.events.recovered();
        }
        this.events.committed(this.committedSeq, reply.written, sync);
        const waiters = this.flushWaiters;
        if (waiters.length > 0 && waiters[0]!.seq <= this.committedSeq) {
          this.flushWaiters = waiters.filter((w) => w.seq > this.committedSeq);
          for (const w of waiters) if (w.seq <= this.committedSeq) w.resolve();
        }
        break;
      }
      case 'failed': {
        const first = this.failing === undefined;
        this.failing = reply.error;
        if (first) this.events.failed(reply.error);
        const err = writeError(reply.error);
        for (const w of this.flushWaiters.splice(0)) w.reject(err);
        break;
      }
      case 'fenced':
        this.die(reply.error);
        break;
      case 'warn':
        this.events.warn(reply.obj, reply.msg);
        break;
      case 'held':
        for (const w of this.heldWaiters.splice(0)) w();
        break;
      case 'reply':
        this.reply = reply;
        break;
      case 'closed':
        this.closed?.(reply.error);
        break;
    }
  }

  private die(error: string): void {
    if (this.dead !== undefined) return;
    this.dead = error;
    this.ready?.(error);
    this.ready = undefined;
    const err = writeError(error);
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
    this.events.dead(error);
  }
}

/** See setWorkerTypeScriptHook. */
let typeScriptHook: string | undefined;

/**
 * Sets the module (an absolute path) that lets the worker thread load worker-main.ts when the store runs from its
 * TypeScript sources under jest, whose transform does not reach worker threads (test-support/worker-hook.ts).
 * Production runs the compiled worker-main.js; a process started with a require hook (node -r) passes it on.
 */
export function setWorkerTypeScriptHook(hook: string | undefined): void {
  typeScriptHook = hook;
}

function spawnWorker(data: WorkerData): Worker {
  const failure = { type: 'ready', text: 'the store worker could not load its code: ' };
  return spawnStoreThread({ dir: __dirname, name: 'worker-main', typeScriptHook, failure }, data);
}
