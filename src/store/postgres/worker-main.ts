import { workerData, type MessagePort } from 'node:worker_threads';
import type pg from 'pg';
import { decodeBatch, type BatchMessage } from '../batch-encoding';
import { ENQUEUE, type Op } from '../ops';
import { applyBatches } from './apply';
import { dropQueueEntries } from './apply-other';
import { connectClient, describe } from './connect';
import type { WorkerData, WorkerReply, WorkerRequest } from './messages';
import { READS, type ReadName } from './reads';

/*
 * The PostgreSQL store's worker thread (the broker's side: channel.ts). It owns the connection. Requests are served
 * in arrival order: batches that are queued together are committed in ONE transaction (group commit; the next
 * gathers while one is in flight), and a read or purge runs after every batch that came before it, so it sees them.
 *
 * Every write transaction records (writer id, last batch number) in leveret_last_batch. When the connection breaks
 * during COMMIT, whether the transaction landed is unknown: every write transaction starts by locking and reading
 * that row (begin), and reports the batches it names as committed instead of writing them twice.
 *
 * Fenced (fenceEpoch >= 0): every write transaction first reads the leader row's epoch FOR SHARE. A takeover's
 * UPDATE of that row waits for the transaction (or has terminated its backend), so a transaction that saw the right
 * epoch commits before the epoch changes or not at all. On a mismatch the worker rolls back and stops writing for
 * good ('fenced'). Any other failure (connection lost, server restarting, a query timeout) is a failed batch: it stays
 * queued, with every later one, and is retried on a new connection after a pause.
 */

const data = workerData as WorkerData;
const port = data.port as MessagePort;
const signal = new Int32Array(data.signal);
/** Test hooks (see WorkerData.hold): 1 holds transactions before COMMIT, 2 loses one COMMIT's reply. */
const hold = new Int32Array(data.hold);

/** How long a failed batch waits before it is tried again. */
const RETRY_MS = 250;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

process.on('uncaughtException', (err) => {
  post({ type: 'failed', error: `worker: ${describe(err)}` });
});
process.on('unhandledRejection', (err) => {
  post({ type: 'failed', error: `worker: ${describe(err)}` });
});

interface QueuedBatch {
  readonly kind: 'batch';
  readonly seq: number;
  readonly ops: Op[];
  readonly lastMessageId: number;
  readonly lastDelayedId: number;
}
type CallTask =
  | { readonly kind: 'read'; readonly id: number; readonly name: ReadName; readonly args: readonly unknown[] }
  | { readonly kind: 'purge'; readonly id: number; readonly queueId: number };
type Task = QueuedBatch | CallTask;

const tasks: Task[] = [];
let client: pg.Client | undefined;
let busy = false;
let failing: string | undefined;
let fenced: string | undefined;
let closing = false;
let retryTimer: NodeJS.Timeout | undefined;
let lastCommitted = 0;

async function connection(): Promise<pg.Client> {
  if (client !== undefined) return client;
  client = await connectClient(data.url, data.applicationName, data.queryTimeoutMs);
  return client;
}

/** Batches through seq are in the database (found by a transaction's look at leveret_last_batch). */
function landed(seq: number): void {
  let n = 0;
  while (n < tasks.length && tasks[n]!.kind === 'batch' && (tasks[n] as QueuedBatch).seq <= seq) n++;
  tasks.splice(0, n);
  lastCommitted = seq;
  post({ type: 'committed', seq, written: 0 });
}

function dropConnection(): void {
  const c = client;
  client = undefined;
  if (c !== undefined) void c.end().catch(() => undefined);
}

const BEGIN = 'BEGIN; SELECT writer, seq FROM leveret_last_batch WHERE id = 1 FOR UPDATE';
const BEGIN_FENCED = 'BEGIN; SELECT epoch FROM leveret_leader WHERE id = 1 FOR SHARE; ' +
  'SELECT writer, seq FROM leveret_last_batch WHERE id = 1 FOR UPDATE';

/**
 * Starts a write transaction, in one round trip: BEGIN, the fence check when fenced, and a lock on
 * leveret_last_batch. The lock waits for any transaction of ours still open on a connection we gave up on (its
 * COMMIT may yet land), so what the row says afterwards is final: batches it names as ours and committed are
 * reported, never written twice. Returns false (rolled back; the worker fenced for good) on an epoch mismatch.
 */
async function begin(c: pg.Client): Promise<boolean> {
  const results = (await c.query(data.fenceEpoch < 0 ? BEGIN : BEGIN_FENCED)) as unknown as pg.QueryResult[];
  const last = results[results.length - 1]?.rows[0] as { writer: string; seq: number } | undefined;
  if (data.fenceEpoch >= 0) {
    const epoch = Number((results[1]?.rows[0] as { epoch?: unknown } | undefined)?.epoch ?? -1);
    if (epoch !== data.fenceEpoch) return fence(c, epoch);
  }
  if (last !== undefined && last.writer === data.writerId && Number(last.seq) > lastCommitted) landed(Number(last.seq));
  return true;
}

async function fence(c: pg.Client, epoch: number): Promise<false> {
  await c.query('ROLLBACK');
  fenced = `fenced: the leader epoch is ${epoch}, this store was opened with epoch ${data.fenceEpoch}`;
  post({ type: 'fenced', error: fenced });
  for (const t of tasks.splice(0)) if (t.kind !== 'batch') post({ type: 'reply', id: t.id, error: fenced });
  return false;
}

/** Test hook: waits while the broker's thread holds transactions before COMMIT. */
async function heldBeforeCommit(): Promise<void> {
  if (Atomics.load(hold, 0) !== 1) return;
  post({ type: 'held' });
  while (Atomics.load(hold, 0) === 1) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** COMMIT; a failure here leaves the outcome unknown: the connection is dropped, the next one looks it up. */
async function commit(c: pg.Client): Promise<void> {
  await heldBeforeCommit();
  await c.query('COMMIT');
  // Test hook: word 2 makes this COMMIT's outcome look unknown once (as if the connection broke before the reply).
  if (Atomics.compareExchange(hold, 0, 2, 0) === 2) throw new Error('the COMMIT reply was lost (test hook)');
}

/** Commits the first n queued batches in one transaction. */
async function commitBatches(n: number): Promise<boolean> {
  const group = tasks.slice(0, n) as QueuedBatch[];
  const seq = group[group.length - 1]!.seq;
  let lastMessageId = 0;
  let lastDelayedId = 0;
  for (const b of group) {
    if (b.lastMessageId > lastMessageId) lastMessageId = b.lastMessageId;
    if (b.lastDelayedId > lastDelayedId) lastDelayedId = b.lastDelayedId;
  }
  let written = 0;
  try {
    const c = await connection();
    if (!(await begin(c))) return false;
    if (tasks[0] !== group[0]) {
      // some had landed (a COMMIT whose reply was lost): the rest goes in the next transaction
      await c.query('ROLLBACK');
      return true;
    }
    const result = await applyBatches(c, group.map((b) => b.ops), lastMessageId, lastDelayedId);
    written = result.written;
    if (result.skipped > 0) post({ type: 'warn', obj: { skipped: result.skipped }, msg: 'store: duplicate queue entries ignored' });
    await c.query({ name: 'lv_last_batch', text: 'UPDATE leveret_last_batch SET writer = $1, seq = $2 WHERE id = 1', values: [data.writerId, seq] });
    await commit(c);
  } catch (err) {
    for (const b of group) for (const op of b.ops) if (op.kind === ENQUEUE) op.message.written = false;
    dropConnection();
    fail(describe(err));
    return false;
  }
  tasks.splice(0, n);
  lastCommitted = seq;
  failing = undefined;
  post({ type: 'committed', seq, written });
  return true;
}

function fail(error: string): void {
  failing = error;
  post({ type: 'failed', error });
  // Reads and purges behind the failed batch cannot see it: they fail now, the broker reports STORE_IO.
  for (let i = tasks.length - 1; i >= 0; i--) {
    const t = tasks[i]!;
    if (t.kind === 'batch') continue;
    tasks.splice(i, 1);
    post({ type: 'reply', id: t.id, error: `the store cannot write: ${error}` });
  }
  if (retryTimer === undefined && !closing) retryTimer = setTimeout(retry, RETRY_MS);
}

const retry = (): void => {
  retryTimer = undefined;
  void pump();
};

async function runCall(task: CallTask): Promise<void> {
  try {
    const c = await connection();
    let value: unknown;
    if (task.kind === 'read') {
      value = await READS[task.name](c, task.args);
    } else {
      if (!(await begin(c))) {
        post({ type: 'reply', id: task.id, error: fenced });
        return;
      }
      value = await dropQueueEntries(c, task.queueId);
      await commit(c);
    }
    post({ type: 'reply', id: task.id, value });
  } catch (err) {
    dropConnection();
    post({ type: 'reply', id: task.id, error: describe(err) });
  }
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    while (tasks.length > 0 && fenced === undefined) {
      const head = tasks[0]!;
      if (head.kind === 'batch') {
        let n = 1;
        while (n < tasks.length && tasks[n]!.kind === 'batch') n++;
        if (!(await commitBatches(n))) break;
      } else {
        tasks.shift();
        await runCall(head);
      }
    }
  } finally {
    busy = false;
  }
}

async function close(markClean: boolean): Promise<void> {
  closing = true;
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryTimer = undefined;
  while (busy) await new Promise((resolve) => setTimeout(resolve, 5));
  let error: string | undefined;
  if (fenced !== undefined) error = fenced;
  else {
    await pump();
    if (tasks.length > 0) error = `unwritten batches were dropped: ${failing ?? 'unknown'}`;
    else if (markClean) {
      try {
        const c = await connection();
        if (await begin(c)) {
          await c.query(`INSERT INTO leveret_meta (key, value) VALUES ('running', 0) ON CONFLICT (key) DO UPDATE SET value = 0`);
          await commit(c);
        } else error = fenced;
      } catch (err) {
        error = describe(err);
      }
    }
  }
  dropConnection();
  post(error === undefined ? { type: 'closed' } : { type: 'closed', error });
}

port.on('message', (request: WorkerRequest) => {
  switch (request.type) {
    case 'batch':
      tasks.push(batchOf(request));
      break;
    case 'read':
      if (fenced !== undefined || (failing !== undefined && tasks.length > 0)) {
        post({ type: 'reply', id: request.id, error: fenced ?? `the store cannot write: ${failing}` });
        return;
      }
      tasks.push({ kind: 'read', id: request.id, name: request.name, args: request.args });
      break;
    case 'purge':
      if (fenced !== undefined || (failing !== undefined && tasks.length > 0)) {
        post({ type: 'reply', id: request.id, error: fenced ?? `the store cannot write: ${failing}` });
        return;
      }
      tasks.push({ kind: 'purge', id: request.id, queueId: request.queueId });
      break;
    case 'close':
      void close(request.markClean);
      return;
  }
  if (retryTimer === undefined && !closing) void pump();
});

function batchOf(message: BatchMessage): QueuedBatch {
  return {
    kind: 'batch',
    seq: message.seq,
    ops: decodeBatch(message),
    lastMessageId: message.lastMessageId,
    lastDelayedId: message.lastDelayedId,
  };
}

void connection().then(
  () => post({ type: 'ready' }),
  (err: unknown) => {
    dropConnection();
    post({ type: 'ready', error: describe(err) });
  },
);
