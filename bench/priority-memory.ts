/**
 * Memory of a large backlog in a durable priority queue against a plain durable queue (issue 13: "10 million 1 KiB
 * messages at several priorities under 300 MB RSS"). Publishes N persistent 1 KiB messages with confirms into a
 * fresh durable queue on a running broker, reads the broker's RSS (VmRSS) and peak (VmHWM) from /proc, then, with
 * --consume, drains the queue and checks the delivery order (highest priority first, FIFO within one).
 *
 *   node -r ./conformance-tests/support/ts-register.cjs src/main.ts --port 5791 --http-port 15791 \
 *     --data-dir $(mktemp -d) &
 *   node -r ./bench/ts-register.cjs bench/priority-memory.ts --pid $! --count 1000000 --priorities 10 --consume
 *   node -r ./bench/ts-register.cjs bench/priority-memory.ts --pid $! --count 1000000 --plain --consume
 *
 * Options: --url (amqp://guest:guest@127.0.0.1:5791), --pid (the broker's; required for RSS), --count (1000000),
 * --priorities (10: levels 0..9, x-max-priority 9, published round-robin), --plain (no x-max-priority),
 * --size (1024 body bytes), --consume, --queue (a name; default one per run).
 */
import * as fs from 'node:fs';
import amqp from 'amqplib';

interface Options {
  url: string;
  pid: number | undefined;
  count: number;
  priorities: number;
  plain: boolean;
  size: number;
  consume: boolean;
  queue: string;
}

function parse(argv: string[]): Options {
  const o: Options = {
    url: 'amqp://guest:guest@127.0.0.1:5791',
    pid: undefined,
    count: 1_000_000,
    priorities: 10,
    plain: false,
    size: 1024,
    consume: false,
    queue: `mem-${Date.now()}`,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--url') o.url = next();
    else if (a === '--pid') o.pid = Number(next());
    else if (a === '--count') o.count = Number(next());
    else if (a === '--priorities') o.priorities = Number(next());
    else if (a === '--plain') o.plain = true;
    else if (a === '--size') o.size = Number(next());
    else if (a === '--consume') o.consume = true;
    else if (a === '--queue') o.queue = next();
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** VmRSS and VmHWM of a process, in MiB. */
function memory(pid: number | undefined): { rss: number; peak: number } | undefined {
  if (pid === undefined) return undefined;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

function report(label: string, o: Options, started: number, extra = ''): void {
  const m = memory(o.pid);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const mem = m === undefined ? '' : ` rss ${m.rss} MiB, peak ${m.peak} MiB`;
  console.log(`${label}: ${seconds} s${mem}${extra}`);
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const kind = o.plain ? 'plain durable queue' : `durable priority queue, ${o.priorities} levels`;
  console.log(`${o.count} persistent ${o.size}-byte messages into a ${kind} (${o.queue})`);
  const connection = await amqp.connect(o.url);
  const channel = await connection.createConfirmChannel();
  const args = o.plain ? {} : { 'x-max-priority': o.priorities - 1 };
  await channel.assertQueue(o.queue, { durable: true, arguments: args });
  report('before', o, Date.now());

  const body = Buffer.alloc(o.size, 0x61);
  const started = Date.now();
  const WINDOW = 2000;
  let inFlight: Promise<void>[] = [];
  for (let i = 0; i < o.count; i++) {
    const priority = o.plain ? undefined : i % o.priorities;
    const headers = { n: i };
    inFlight.push(
      new Promise<void>((resolve, reject) => {
        channel.sendToQueue(o.queue, body, { persistent: true, priority, headers }, (err) => (err ? reject(err) : resolve()));
      }),
    );
    if (inFlight.length >= WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    if ((i + 1) % 1_000_000 === 0) report(`published ${i + 1}`, o, started);
  }
  await Promise.all(inFlight);
  report(`published and confirmed ${o.count}`, o, started);
  const declared = await channel.checkQueue(o.queue);
  console.log(`queue depth ${declared.messageCount}`);

  if (o.consume) {
    const drainStarted = Date.now();
    const consumer = await connection.createChannel();
    await consumer.prefetch(2000);
    let received = 0;
    let outOfOrder = 0;
    let lastPriority = Number.POSITIVE_INFINITY;
    let lastN = -1;
    let peak = 0;
    await new Promise<void>((resolve, reject) => {
      void consumer
        .consume(o.queue, (msg) => {
          if (msg === null) return reject(new Error('consumer cancelled'));
          const p = msg.properties.priority ?? 0;
          const n = Number(msg.properties.headers?.n);
          // Highest priority first; within one priority, publish order.
          if (p > lastPriority || (p === lastPriority && n < lastN)) outOfOrder++;
          lastPriority = p;
          lastN = n;
          received++;
          if (received % 2000 === 0) consumer.ack(msg, true);
          if (received % 100_000 === 0) peak = Math.max(peak, memory(o.pid)?.rss ?? 0);
          if (received === o.count) {
            consumer.ack(msg, true);
            resolve();
          }
        })
        .catch(reject);
    });
    report(`drained ${received}`, o, drainStarted, `, out of order ${outOfOrder}, rss peak while draining ${peak} MiB`);
    await consumer.close();
  }
  await channel.deleteQueue(o.queue);
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
