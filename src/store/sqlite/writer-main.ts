import { workerData, type MessagePort } from 'node:worker_threads';
import { decodeBatch, type BatchMessage } from '../batch-encoding';
import { dropQueueEntries, writeBatches, type Op } from './ops';
import { openWriterConnection } from './open';
import { Reclaimer, reclaimFreePages } from './reclaim';
import { prepareStatements } from './statements';
import type { WriterData, WriterReply, WriterRequest } from './thread-writer';
import { RETRY_MS } from './writer';

/*
 * The writer thread of a SqliteStore (see thread-writer.ts for the broker's side). It owns the connection
 * that writes: batches arrive in order; those that arrive while a transaction runs are committed together in the
 * next one; each commit is reported by the last batch number it holds. A batch that fails stays queued, with every
 * later one, and is retried after a pause. The free-space reclamation runs here too.
 *
 * Every message posted back is followed by a bump of the shared signal word, so that the broker's thread can wait
 * for a reply synchronously (Atomics.wait) and take it with receiveMessageOnPort.
 */


interface Queued {
  readonly seq: number;
  readonly ops: Op[];
  readonly lastMessageId: number;
  readonly lastDelayedId: number;
}

const data = workerData as WriterData;
const port = data.port as MessagePort;
const signal = new Int32Array(data.signal);

function post(reply: WriterReply): void {
  port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A bug that throws here would leave the broker waiting for commits that never come: say so, then end the thread.
process.on('uncaughtException', (err) => {
  post({ type: 'crashed', error: describe(err) });
  process.exit(1);
});

let db: ReturnType<typeof openWriterConnection>;
try {
  db = openWriterConnection(data.file, data.durability);
} catch (err) {
  post({ type: 'ready', error: describe(err) });
  throw err;
}
const fsync = data.durability !== 'relaxed';
const st = prepareStatements(db);
const warn = {
  warn: (obj: object, msg: string): void => post({ type: 'warn', obj, msg }),
} as const;

const queued: Queued[] = [];
let scheduled = false;
let retryTimer: NodeJS.Timeout | undefined;
let failed = false;
let lastMessageId = 0;
let lastDelayedId = 0;

const run = (): void => {
  scheduled = false;
  commit();
};
const retry = (): void => {
  retryTimer = undefined;
  commit();
};
const reclaimer = new Reclaimer(db, fsync, () => !failed);

/** Commits every queued batch in one transaction; false (and a retry later) when that fails. */
function commit(): boolean {
  if (queued.length === 0) return true;
  let written: number;
  try {
    for (const batch of queued) {
      if (batch.lastMessageId > lastMessageId) lastMessageId = batch.lastMessageId;
      if (batch.lastDelayedId > lastDelayedId) lastDelayedId = batch.lastDelayedId;
    }
    const inTransaction = (): boolean => db.inTransaction;
    written = writeBatches(st, inTransaction, queued.map((b) => b.ops), lastMessageId, lastDelayedId, warn);
  } catch (err) {
    failed = true;
    post({ type: 'failed', error: describe(err) });
    if (retryTimer === undefined) retryTimer = setTimeout(retry, RETRY_MS);
    return false;
  }
  const seq = queued[queued.length - 1]!.seq;
  queued.length = 0;
  lastMessageId = 0;
  lastDelayedId = 0;
  failed = false;
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryTimer = undefined;
  post({ type: 'committed', seq, written });
  return true;
}

port.on('message', (request: WriterRequest) => {
  switch (request.type) {
    case 'batch':
      queued.push(batchOf(request));
      if (!scheduled && retryTimer === undefined) {
        scheduled = true;
        setImmediate(run);
      }
      break;
    case 'purge': {
      if (!commit()) {
        post({ type: 'reply', error: 'the store cannot write' });
        break;
      }
      try {
        st.begin.run();
        const n = dropQueueEntries(st, request.queueId);
        st.commit.run();
        post({ type: 'reply', value: n });
      } catch (err) {
        if (db.inTransaction) st.rollback.run();
        post({ type: 'reply', error: describe(err) });
      }
      break;
    }
    case 'reclaim':
      post({ type: 'reply', value: reclaimFreePages(db, request.maxPages, fsync) });
      break;
    case 'close': {
      reclaimer.stop();
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const ok = commit();
      db.close();
      post(ok ? { type: 'closed' } : { type: 'closed', error: 'unwritten batches were dropped' });
      port.close();
      break;
    }
  }
});

function batchOf(message: BatchMessage): Queued {
  return {
    seq: message.seq,
    ops: decodeBatch(message),
    lastMessageId: message.lastMessageId,
    lastDelayedId: message.lastDelayedId,
  };
}

post({ type: 'ready' });
