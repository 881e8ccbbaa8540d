/**
 * Memory of the management sample histories (src/observability/history.ts) for many queues: records a day of
 * samples for N fake queues through recordHistories, the broker's own sampler entry point, once with every queue
 * idle (nothing changes) and once with every queue busy (its length and counters change every sample), and prints
 * the bytes the histories hold (History.bytes, summed) and the process's ArrayBuffer memory.
 *
 *   node --expose-gc -r ./bench/ts-register.cjs bench/history-memory.ts --queues 10000
 *
 * A day is 17,280 samples at 5 s; to keep the run short, after the first ten minutes (every sample) it steps a
 * minute at a time, which fills the coarse tiers exactly as 5 s steps would (they keep one sample a minute at most).
 */
import { queueHistory, recordHistories } from '../src/observability/history';
import { MessageStats } from '../src/observability/stats';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};

interface FakeQueue {
  messageCount: number;
  unackedCount: number;
  consumerCount: number;
  stats: MessageStats;
}

function run(count: number, busy: boolean): void {
  const queues = new Map<string, FakeQueue>();
  for (let i = 0; i < count; i++) queues.set(`q${i}`, { messageCount: 5, unackedCount: 0, consumerCount: 1, stats: new MessageStats() });
  const vhost = { name: '/', queues };
  const broker = new MessageStats();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().arrayBuffers;
  const start = Date.UTC(2026, 0, 1);
  const end = start + 86_400_000;
  let t = start;
  const started = process.hrtime.bigint();
  let samples = 0;
  while (t <= end) {
    if (busy) {
      for (const q of queues.values()) {
        q.stats.publish += 7;
        q.stats.deliver += 7;
        q.stats.ack += 6;
        q.messageCount = (q.messageCount + 1) % 50;
      }
    }
    recordHistories(t, broker, [vhost], []);
    samples++;
    t += t - start < 600_000 ? 5000 : 60_000;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  gc?.();
  let bytes = 0;
  for (const q of queues.values()) bytes += queueHistory(q)?.bytes ?? 0;
  const arrayBuffers = process.memoryUsage().arrayBuffers - before;
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  console.log(
    `${count} queues, ${busy ? 'busy' : 'idle'}: histories ${mb(bytes)} (${(bytes / count / 1024).toFixed(1)} KiB a queue), ` +
      `ArrayBuffers ${mb(arrayBuffers)}; ${samples} samples in ${(ms / 1000).toFixed(1)} s (${(ms / samples).toFixed(1)} ms a sample)`,
  );
}

const count = arg('queues', 10_000);
run(count, false);
run(count, true);
