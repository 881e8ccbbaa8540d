/**
 * Queue health (issue 15): the queue list's API time with 10,000 queues, sorted by a leveret_health field against
 * the same list sorted by a plain field, and GET /api/leveret/health/queues. A real broker in-process, loopback;
 * one queue in ten holds messages (so ages differ), one in a hundred has a consumer.
 *
 *   node -r ./bench/ts-register.cjs bench/queue-health.ts [--queues N] [--runs N]
 */
import * as amqp from 'amqplib';
import { startBroker } from '../src/broker';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const QUEUES = arg('--queues', 10_000);
const RUNS = arg('--runs', 11);
const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent' });
  const conn = await amqp.connect(broker.url);
  try {
    const ch = await conn.createChannel();
    for (let i = 0; i < QUEUES; i++) {
      const name = `bench.health.${String(i).padStart(5, '0')}`;
      await ch.assertQueue(name, { durable: false });
      if (i % 10 === 0) for (let m = 0; m < 5; m++) ch.sendToQueue(name, Buffer.from(`m${m}`));
      if (i % 100 === 0) await ch.consume(name, () => undefined, { noAck: false });
    }
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // one history sample
    const paths = [
      '/api/queues?page=1&page_size=100&sort=name',
      '/api/queues?page=1&page_size=100&sort=messages&sort_reverse=true',
      '/api/queues?page=1&page_size=100&sort=leveret_health.oldest_ready_age_ms&sort_reverse=true',
      '/api/queues?page=1&page_size=100&sort=leveret_health.time_to_empty_s&sort_reverse=true&columns=name,vhost,messages,leveret_health',
      '/api/leveret/health/queues?limit=100',
    ];
    console.log(`${QUEUES} queues, median of ${RUNS} requests (after one warm-up):`);
    for (const path of paths) {
      const times: number[] = [];
      for (let r = 0; r <= RUNS; r++) {
        const t0 = performance.now();
        const res = await fetch(`${broker.httpUrl}${path}`, { headers: { authorization: GUEST } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        if (r > 0) times.push(performance.now() - t0);
      }
      console.log(`  ${median(times).toFixed(1)} ms  GET ${path}`);
    }
  } finally {
    await conn.close();
    await broker.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
