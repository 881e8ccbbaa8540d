/**
 * Delayed-message benchmark: how late the DelayedScheduler delivers when 10,000 messages fall due per second, on
 * an SqliteStore (fsync by default) in a temporary data directory, in this process (no broker, no sockets: the
 * figure is the scheduler's and the store's).
 *
 *   node -r ./bench/ts-register.cjs bench/delayed.ts
 *   node -r ./bench/ts-register.cjs bench/delayed.ts --rate 10000 --duration 10 --delay 1000 --spread 1000
 *
 * Messages are scheduled at --rate per second for --duration seconds, each with a delay of --delay ms plus a
 * uniform random part up to --spread ms (so they fall due in another order than they were scheduled), while earlier
 * ones fall due: once the first delays expire, scheduling and delivering at --rate per second overlap, and every
 * delivered record is removed through the same group commit as the new ones are written. Lateness is delivery time
 * minus due time. Target: p99 < 50 ms at 10,000 due per second.
 *
 * Output: one JSON line on stdout, then a short table; progress goes to stderr.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DelayedScheduler } from '../src/delayed/scheduler';
import { SqliteStore } from '../src/store/sqlite';

interface Options {
  rate: number;
  duration: number;
  delay: number;
  spread: number;
  bodyBytes: number;
  durability: 'fsync' | 'relaxed';
  batch: number;
  /** The store's writer thread: 'never' (as for a broker without persistent messages) or 'always'. */
  writer: 'never' | 'always';
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rate: 10_000, duration: 10, delay: 1000, spread: 1000, bodyBytes: 256, durability: 'fsync', batch: 1000, writer: 'never' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value for ${name}`);
    switch (name) {
      case '--rate': o.rate = Number(value); break;
      case '--duration': o.duration = Number(value); break;
      case '--delay': o.delay = Number(value); break;
      case '--spread': o.spread = Number(value); break;
      case '--body': o.bodyBytes = Number(value); break;
      case '--batch': o.batch = Number(value); break;
      case '--writer-thread':
        if (value !== 'never' && value !== 'always') throw new Error('--writer-thread is never or always');
        o.writer = value;
        break;
      case '--durability':
        if (value !== 'fsync' && value !== 'relaxed') throw new Error('--durability is fsync or relaxed');
        o.durability = value;
        break;
      default: throw new Error(`unknown option ${name}`);
    }
  }
  return o;
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const total = Math.round(o.rate * o.duration);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-bench-delayed-'));
  const store = SqliteStore.open({ dataDir: dir, durability: o.durability, writerThread: o.writer });
  const lateness = new Float64Array(total);
  let delivered = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // A finer clock than Date.now() for the measurement; the scheduler runs on Date.now() like the broker.
  const clock = () => performance.timeOrigin + performance.now();
  const scheduler = new DelayedScheduler(store, (record) => {
    lateness[delivered++] = clock() - record.dueAt;
    if (delivered === total) done();
  }, { batch: o.batch });
  scheduler.start();

  const properties = Buffer.from([0, 0]);
  const body = Buffer.alloc(o.bodyBytes, 0x61);
  const startedAt = Date.now();
  const cpuBefore = process.cpuUsage();
  let scheduled = 0;
  process.stderr.write(`scheduling ${total} messages at ${o.rate}/s (delay ${o.delay} ms + up to ${o.spread} ms, ${o.durability})\n`);
  // Schedule on a 5 ms tick, catching up to where the rate says we should be.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const target = Math.min(total, Math.floor(((Date.now() - startedAt) / 1000) * o.rate));
      while (scheduled < target) {
        const delay = o.delay + Math.floor(Math.random() * (o.spread + 1));
        scheduler.schedule('/', 'bench.delayed', 'rk', properties, body, delay);
        scheduled++;
      }
      if (scheduled === total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const progress = setInterval(() => process.stderr.write(`delivered ${delivered}/${total}\n`), 1000);
  await finished;
  clearInterval(progress);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedS = (Date.now() - startedAt) / 1000;
  scheduler.close();
  const counters = store.counters();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const sorted = lateness.slice().sort();
  const result = {
    bench: 'delayed',
    messages: total,
    ratePerS: o.rate,
    delayMs: o.delay,
    spreadMs: o.spread,
    durability: o.durability,
    latenessMs: {
      p50: round(percentile(sorted, 0.5)),
      p90: round(percentile(sorted, 0.9)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? 0),
      min: round(sorted[0] ?? 0),
    },
    commits: counters.commits,
    cpuPercent: round(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const l = result.latenessMs;
  process.stdout.write(
    `\n${total} delayed messages, ${o.rate}/s due, ${o.durability}: lateness p50 ${l.p50} ms, p90 ${l.p90} ms, ` +
      `p99 ${l.p99} ms, max ${l.max} ms (${result.commits} commits, ${result.cpuPercent}% CPU)\n` +
      `target p99 < 50 ms: ${l.p99 < 50 ? 'met' : 'NOT met'}\n`,
  );
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
