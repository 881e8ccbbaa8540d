/**
 * Not a test: what the PostgresStore sustains on a private cluster with fsync on (startPostgres without `fast`).
 * Run from the repository root:
 *
 *   node -e "require('./src/store/sqlite/test-support/ts-hook.cjs')('../../postgres/test-support/throughput.ts')"
 *
 * Environment: BENCH_STREAM (200000), BENCH_PER_TURN (1000), BENCH_BACKLOG (1000000), BENCH_PAGE (1000),
 * BENCH_WINDOW (20000: unconfirmed messages at most), BENCH_BATCH_LIMIT (the store's batchLimit), BENCH_PG_CONFIG
 * (extra postgresql.conf lines separated by ';').
 *
 *  stream   each turn enqueues PER_TURN 1 KiB messages (one afterCommit per message, as confirms) and removes those
 *           of the turn before whose commit was reported (a consumer acking what it was sent): enqueue+remove pairs
 *           per second, and each batch's commit latency (sent -> committed);
 *  backlog  BACKLOG messages enqueued with at most BENCH_WINDOW unconfirmed, then paged back out (loadEntries pages of
 *           BENCH_PAGE, each entry removed) until the queue is empty.
 */
import path from 'node:path';
import { startPostgres } from '../../../test-support/postgres';
import type { CommitListener } from '../../store';
import { setWorkerTypeScriptHook } from '../channel';
import { PostgresStore } from '../store';

const STREAM = Number(process.env['BENCH_STREAM'] ?? 200_000);
const PER_TURN = Number(process.env['BENCH_PER_TURN'] ?? 1000);
const BACKLOG = Number(process.env['BENCH_BACKLOG'] ?? 1_000_000);
const PAGE = Number(process.env['BENCH_PAGE'] ?? 1000);
const WINDOW = Number(process.env['BENCH_WINDOW'] ?? 20_000);

const properties = Buffer.from([0x10, 0x00, 0x02]);
const body = Buffer.alloc(1024, 0x61);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function stream(store: PostgresStore, q: number): Promise<void> {
  let seq = 0;
  let confirmed = 0;
  let removedThrough = 0;
  const sentAt = new Map<number, bigint>();
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    let parked = false;
    const listener: CommitListener = {
      committed(token: number): void {
        confirmed = token;
        const at = sentAt.get(token);
        if (at !== undefined) {
          latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
          sentAt.delete(token);
        }
        if (parked) {
          parked = false;
          setImmediate(turn);
        }
      },
    };
    const turn = (): void => {
      // the consumer acks what was confirmed
      while (removedThrough < confirmed) {
        removedThrough++;
        store.remove(q, removedThrough, removedThrough);
      }
      if (removedThrough >= STREAM) {
        resolve();
        return;
      }
      if (seq < STREAM && seq - confirmed < WINDOW) {
        for (let i = 0; i < PER_TURN && seq < STREAM; i++) {
          seq++;
          store.enqueue(q, seq, { id: store.nextMessageId(), exchange: '', routingKey: 'bench', properties, body });
          store.afterCommit(listener, seq);
        }
        sentAt.set(seq, process.hrtime.bigint());
        setImmediate(turn);
      } else {
        parked = true; // the publisher waits for confirms
      }
    };
    turn();
  });
  await store.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const c = store.counters();
  console.log(
    `stream: ${STREAM} x 1 KiB enqueue + remove after commit in ${seconds.toFixed(2)} s = ${Math.round(STREAM / seconds)} msg/s; ` +
      `${c.commits} commits; commit latency (turn sent -> committed) p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(1)} ms; stored after: ${store.queueStats(q).messages}`,
  );
}

async function backlog(store: PostgresStore, q: number): Promise<void> {
  let seq = 0;
  let confirmed = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    let parked = false;
    const listener: CommitListener = {
      committed(token: number): void {
        confirmed = token;
        if (confirmed === BACKLOG) resolve();
        else if (parked) {
          parked = false;
          setImmediate(turn);
        }
      },
    };
    const turn = (): void => {
      if (seq >= BACKLOG) return;
      if (seq - confirmed >= WINDOW) {
        parked = true;
        return;
      }
      for (let i = 0; i < PER_TURN && seq < BACKLOG; i++) {
        seq++;
        store.enqueue(q, seq, { id: store.nextMessageId(), exchange: '', routingKey: 'bench', properties, body });
        store.afterCommit(listener, seq);
      }
      setImmediate(turn);
    };
    turn();
  });
  const inSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`backlog in: ${BACKLOG} x 1 KiB in ${inSeconds.toFixed(2)} s = ${Math.round(BACKLOG / inSeconds)} msg/s`);

  const outStart = process.hrtime.bigint();
  let after = 0;
  let drained = 0;
  let readMs = 0;
  for (;;) {
    const t = process.hrtime.bigint();
    const page = store.loadEntries(q, after, PAGE);
    readMs += Number(process.hrtime.bigint() - t) / 1e6;
    if (page.length === 0) break;
    for (const e of page) store.remove(q, e.seq, e.message.id);
    drained += page.length;
    after = page[page.length - 1]!.seq;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await store.flush();
  const outSeconds = Number(process.hrtime.bigint() - outStart) / 1e9;
  console.log(
    `backlog out: ${drained} paged (${PAGE} a page) and removed in ${outSeconds.toFixed(2)} s = ${Math.round(drained / outSeconds)} msg/s ` +
      `(${(readMs / 1000).toFixed(2)} s of it blocked in page reads); stored after: ${store.queueStats(q).messages}`,
  );
}

async function main(): Promise<void> {
  setWorkerTypeScriptHook(path.join(__dirname, '..', '..', 'sqlite', 'test-support', 'ts-hook.cjs'));
  // fsync on; PostgreSQL's defaults otherwise (startPostgres sets shared_buffers 128MB, max_connections 200). With
  // batches of 10,000 (about 10 MB of WAL) the default wal_buffers (4 MB) stalled each commit on WAL writes and
  // 'wal_buffers = 64MB' nearly doubled the rate; with the default 2,000 it makes no difference.
  const config = (process.env['BENCH_PG_CONFIG'] ?? '').split(';').filter((line) => line.trim() !== '');
  const cluster = await startPostgres({ config });
  console.log(`postgresql.conf: ${config.join(', ') || '(defaults)'}; fsync on`);
  try {
    const batchLimit = process.env['BENCH_BATCH_LIMIT'] === undefined ? undefined : Number(process.env['BENCH_BATCH_LIMIT']);
    const store = await PostgresStore.open({ url: cluster.url, ...(batchLimit === undefined ? {} : { batchLimit }) });
    try {
      if (STREAM > 0) await stream(store, store.putQueue({ vhost: '/', name: 'stream', durable: true, autoDelete: false, arguments: {} }));
      if (BACKLOG > 0) await backlog(store, store.putQueue({ vhost: '/', name: 'backlog', durable: true, autoDelete: false, arguments: {} }));
    } finally {
      await store.close();
    }
  } finally {
    cluster.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
