/**
 * What the audit log costs a declare storm: a broker on a fresh SQLite data directory, one AMQP connection declaring
 * N durable queues, pipelined on one channel (every declare sent at once, then every declare-ok awaited), then the
 * same with N more declares on a second channel one at a time (each awaits its commit). Runs with the audit log on
 * and off (BrokerOptions.audit.enabled), alternating, and prints the median of each.
 *
 *   node -r ./bench/ts-register.cjs bench/audit-declares.ts [--queues 10000] [--rounds 3]
 *
 * With --store, the store alone in-process (no AMQP, no network): N putQueue each followed by one audit record, a
 * commit every 100, writer on the caller's thread; 5 runs each way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { AuditLog } from '../src/admin/audit';
import { startBroker } from '../src/broker';
import { SqliteStore } from '../src/store/sqlite';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

const queues = option('queues', 10_000);
const rounds = option('rounds', 3);

async function run(audit: boolean): Promise<{ pipelined: number; sequential: number; entries: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'leveret-audit-bench-'));
  const broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, dataDir: dir, logLevel: 'silent', audit: { enabled: audit } });
  try {
    const conn = await amqp.connect(broker.url);
    const ch = await conn.createChannel();
    let start = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < queues; i++) pending.push(ch.assertQueue(`storm.${i}`, { durable: true }));
    await Promise.all(pending);
    const pipelined = performance.now() - start;
    const ch2 = await conn.createChannel();
    start = performance.now();
    for (let i = 0; i < queues; i++) await ch2.assertQueue(`one.${i}`, { durable: true });
    const sequential = performance.now() - start;
    await conn.close();
    const res = await fetch(`${broker.httpUrl}/api/leveret/audit?limit=1`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
    const entries = ((await res.json()) as { total: number }).total;
    return { pipelined, sequential, entries };
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const results = { on: [] as Array<{ pipelined: number; sequential: number; entries: number }>, off: [] as Array<{ pipelined: number; sequential: number; entries: number }> };
  for (let r = 0; r < rounds; r++) {
    for (const audit of r % 2 === 0 ? [false, true] : [true, false]) {
      const result = await run(audit);
      results[audit ? 'on' : 'off'].push(result);
      console.log(`round ${r + 1} audit ${audit ? 'on ' : 'off'}: ${queues} pipelined ${result.pipelined.toFixed(0)} ms, ${queues} one at a time ${result.sequential.toFixed(0)} ms, entries ${result.entries}`);
    }
  }
  for (const key of ['off', 'on'] as const) {
    const rs = results[key];
    console.log(`audit ${key}: median pipelined ${median(rs.map((x) => x.pipelined)).toFixed(0)} ms, one at a time ${median(rs.map((x) => x.sequential)).toFixed(0)} ms`);
  }
}

async function storeRun(audit: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'leveret-audit-bench-'));
  const store = SqliteStore.open({ dataDir: dir, writerThread: 'never' });
  const log = new AuditLog(store, { enabled: audit });
  const start = performance.now();
  for (let i = 0; i < queues; i++) {
    store.putQueue({ vhost: '/', name: `q${i}`, durable: true, autoDelete: false, arguments: {} });
    log.record({
      user: 'guest',
      source: 'amqp',
      peer: '127.0.0.1',
      vhost: '/',
      action: 'queue.declare',
      object: { type: 'queue', name: `q${i}` },
      details: { durable: true, exclusive: false, auto_delete: false, arguments: [] },
      result: 'ok',
    });
    if (i % 100 === 99) await store.flush();
  }
  await store.flush();
  const ms = performance.now() - start;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

async function storeOnly(): Promise<void> {
  const on: number[] = [];
  const off: number[] = [];
  for (let r = 0; r < 5; r++) {
    off.push(await storeRun(false));
    on.push(await storeRun(true));
  }
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' / ');
  console.log(`store alone, ${queues} putQueue (+ record), a commit every 100: audit off ${list(off)} (median ${median(off).toFixed(0)} ms); on ${list(on)} (median ${median(on).toFixed(0)} ms)`);
}

void (process.argv.includes('--store') ? storeOnly() : main());
