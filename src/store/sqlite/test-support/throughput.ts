/**
 * Not a test: how many persistent enqueue+afterCommit per second the SQLite store sustains, and how long a reopen
 * with a large backlog takes. Run from the repository root:
 *
 *   node -e "require('./src/store/sqlite/test-support/ts-hook.cjs')('./throughput.ts')"
 *
 * Environment: BENCH_MESSAGES (200000), BENCH_PER_TURN (1000), BENCH_BACKLOG (1000000), BENCH_DIR (os.tmpdir()).
 *
 * Each event-loop turn publishes PER_TURN 1 KiB messages to one queue and registers one afterCommit per message
 * (as confirms would); the next turn starts when the store has committed (flow control, like a publisher with a
 * bounded number of unconfirmed messages).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../store';
import type { CommitListener } from '../../store';

const PER_TURN = Number(process.env['BENCH_PER_TURN'] ?? 1000);
const BASE_DIR = process.env['BENCH_DIR'] ?? os.tmpdir();

async function run(durability: 'fsync' | 'relaxed', total: number): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(BASE_DIR, 'leveret-bench-'));
  const store = SqliteStore.open({ dataDir, durability });
  const q = store.putQueue({ vhost: '/', name: 'bench', durable: true, autoDelete: false, arguments: {} });
  const properties = Buffer.from([0x10, 0x00, 0x02]);
  const body = Buffer.alloc(1024, 0x61);
  let confirmed = 0;
  let seq = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const listener: CommitListener = {
      committed(): void {
        confirmed++;
        if (confirmed === total) resolve();
        else if (confirmed === seq) setImmediate(publish);
      },
    };
    function publish(): void {
      for (let i = 0; i < PER_TURN && seq < total; i++) {
        seq++;
        store.enqueue(q, seq, { id: store.nextMessageId(), exchange: '', routingKey: 'bench', properties, body });
        store.afterCommit(listener, seq);
      }
    }
    publish();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = store.counters();
  console.log(
    `${durability}: ${total} x 1 KiB enqueue+afterCommit in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)}/s ` +
      `(${c.commits} commits, ${Math.round(total / c.commits)} per commit)`,
  );

  // consume: ack everything, one turn at a time, as a consumer would
  const ackStart = process.hrtime.bigint();
  let after = 0;
  for (;;) {
    const page = store.loadEntries(q, after, PER_TURN);
    if (page.length === 0) break;
    for (const e of page) store.remove(q, e.seq, e.message.id);
    after = page[page.length - 1]!.seq;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await store.flush();
  const ackSeconds = Number(process.hrtime.bigint() - ackStart) / 1e9;
  console.log(`${durability}: load+remove of ${total} in ${ackSeconds.toFixed(2)} s = ${Math.round(total / ackSeconds)}/s`);
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function backlog(n: number): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(BASE_DIR, 'leveret-backlog-'));
  let store = SqliteStore.open({ dataDir, durability: 'relaxed', batchLimit: 50_000 });
  const q = store.putQueue({ vhost: '/', name: 'backlog', durable: true, autoDelete: false, arguments: {} });
  const properties = Buffer.from([0x10, 0x00, 0x02]);
  const body = Buffer.alloc(100, 0x62);
  for (let seq = 1; seq <= n; seq++) {
    store.enqueue(q, seq, { id: store.nextMessageId(), exchange: '', routingKey: 'backlog', properties, body });
  }
  await store.close();
  const size = fs.statSync(path.join(dataDir, 'leveret.db')).size;
  const t0 = process.hrtime.bigint();
  store = SqliteStore.open({ dataDir });
  const defs = store.loadDefinitions();
  const stats = store.queueStats(defs.queues[0]!.id);
  const window = store.loadEntries(defs.queues[0]!.id, 0, 1000);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `backlog: reopen + definitions + queueStats (${stats.messages} messages) + a 1000-entry window in ${ms.toFixed(1)} ms ` +
      `(db ${(size / 1e6).toFixed(0)} MB, window ${window.length})`,
  );
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const total = Number(process.env['BENCH_MESSAGES'] ?? 200_000);
  const backlogSize = Number(process.env['BENCH_BACKLOG'] ?? 1_000_000);
  console.log(`${PER_TURN} messages per turn, data in ${BASE_DIR}`);
  if (total > 0) {
    await run('fsync', total);
    await run('relaxed', total);
  }
  if (backlogSize > 0) await backlog(backlogSize);
}

void main();
