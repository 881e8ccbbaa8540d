/**
 * Not a test: scenario d of the bench suite (persistent 1 KiB, a confirm channel with 1000 unconfirmed, a consumer
 * acking each message with prefetch 100) against a broker started in this process on a PostgresStore, on a private
 * cluster with fsync on. The clients run in a child process. Run from the repository root:
 *
 *   node -r ./conformance-tests/support/ts-register.cjs bench/postgres-confirms.ts
 *
 * Environment: BENCH_SECONDS (8, measured after 2 of warm-up), BENCH_STORE ('postgres' or 'sqlite', to compare).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as amqp from 'amqplib';
import { startBroker } from '../src/broker';
import { startPostgres } from '../src/test-support/postgres';
import { SqliteStore } from '../src/store/sqlite';
import { PostgresStore } from '../src/store/postgres';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const WARMUP_MS = 2000;
const IN_FLIGHT = 1000;

async function client(url: string): Promise<void> {
  const body = Buffer.alloc(1024, 0x61);
  const consumerConn = await amqp.connect(url);
  const consumer = await consumerConn.createChannel();
  await consumer.assertQueue('bench', { durable: true });
  await consumer.prefetch(100);
  let consumed = 0;
  await consumer.consume('bench', (m) => {
    if (m === null) return;
    consumed++;
    consumer.ack(m);
  });
  const publisherConn = await amqp.connect(url);
  const publisher = await publisherConn.createConfirmChannel();
  let inFlight = 0;
  let confirmed = 0;
  let measuring = false;
  const latencies: number[] = [];
  const publishOne = (): void => {
    const at = performance.now();
    inFlight++;
    publisher.sendToQueue('bench', body, { persistent: true }, (err) => {
      inFlight--;
      if (err === null || err === undefined) {
        confirmed++;
        if (measuring) latencies.push(performance.now() - at);
      }
      fill();
    });
  };
  let stopped = false;
  const fill = (): void => {
    while (!stopped && inFlight < IN_FLIGHT) publishOne();
  };
  fill();
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  measuring = true;
  const c0 = confirmed;
  const d0 = consumed;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  stopped = true;
  latencies.sort((a, b) => a - b);
  const p = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  process.send?.({
    confirmedPerS: Math.round((confirmed - c0) / elapsed),
    consumedPerS: Math.round((consumed - d0) / elapsed),
    p50: Number(p(0.5).toFixed(1)),
    p99: Number(p(0.99).toFixed(1)),
  });
  await publisherConn.close().catch(() => undefined);
  await consumerConn.close().catch(() => undefined);
}

async function main(): Promise<void> {
  const kind = process.env['BENCH_STORE'] ?? 'postgres';
  const cluster = kind === 'postgres' ? await startPostgres() : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-bench-'));
  try {
    const store = cluster !== undefined ? await PostgresStore.open({ url: cluster.url }) : SqliteStore.open({ dataDir });
    const broker = await startBroker({ store, port: 0, http: { port: 0 }, logLevel: 'warn' });
    try {
      const child = fork(__filename, ['client', broker.url], { execArgv: process.execArgv });
      const result = await new Promise<unknown>((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) => reject(new Error(`client exited ${code}`)));
      });
      console.log(`${kind}: scenario d in-process broker, ${SECONDS} s: ${JSON.stringify(result)}`);
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      await broker.close();
    }
  } finally {
    cluster?.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'client') {
  client(process.argv[3]!).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
