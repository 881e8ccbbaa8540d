/**
 * The message browser and the dead-letter re-drive on a big durable backlog (issue 15's figures): publishes --count
 * persistent messages (each with an x-death entry naming exchange `bench.orig`, key `job`) into a fresh durable
 * queue of a running broker, then times over HTTP the first page, a page in the middle and one at the end, and a
 * search, reading the broker's RSS (VmRSS, VmHWM) from /proc; then re-drives --redrive of them back to
 * `bench.orig` (bound to a queue), while another client publishes to its own queue with confirms, and reports both
 * rates.
 *
 *   node -r ./conformance-tests/support/ts-register.cjs src/main.ts --port 5791 --http-port 15791 \
 *     --data-dir $(mktemp -d) &
 *   node -r ./bench/ts-register.cjs bench/browse.ts --pid $! --count 1000000 --redrive 100000
 *
 * Options: --url (amqp://guest:guest@127.0.0.1:5791), --http (http://127.0.0.1:15791), --pid (the broker's, for
 * RSS), --count (1000000), --size (256 body bytes), --redrive (100000; 0 skips it), --rate (the re-drive's
 * messages a second; default as fast as it goes).
 */
import * as fs from 'node:fs';
import amqp from 'amqplib';

interface Options {
  url: string;
  http: string;
  pid: number | undefined;
  count: number;
  size: number;
  redrive: number;
  /** The re-drive's rate (messages a second); undefined: as fast as it goes. */
  rate: number | undefined;
}

function parse(argv: string[]): Options {
  const o: Options = { url: 'amqp://guest:guest@127.0.0.1:5791', http: 'http://127.0.0.1:15791', pid: undefined, count: 1_000_000, size: 256, redrive: 100_000, rate: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--url') o.url = next();
    else if (a === '--http') o.http = next();
    else if (a === '--pid') o.pid = Number(next());
    else if (a === '--count') o.count = Number(next());
    else if (a === '--size') o.size = Number(next());
    else if (a === '--redrive') o.redrive = Number(next());
    else if (a === '--rate') o.rate = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function rss(pid: number | undefined): string {
  if (pid === undefined) return 'n/a (no --pid)';
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1] ?? NaN);
  return `RSS ${(kb('VmRSS:') / 1024).toFixed(0)} MB (peak ${(kb('VmHWM:') / 1024).toFixed(0)} MB)`;
}

const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const out = await run();
  console.log(`${what}: ${(performance.now() - started).toFixed(1)} ms`);
  return out;
}

async function get(o: Options, path: string): Promise<any> {
  const res = await fetch(`${o.http}${path}`, { headers: { authorization: AUTH } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const q = `bench.dlq.${Date.now()}`;
  const work = `${q}.work`;
  const conn = await amqp.connect(o.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('bench.orig', 'direct', { durable: true });
  await ch.assertQueue(work, { durable: true });
  await ch.bindQueue(work, 'bench.orig', 'job');
  await ch.assertQueue(q, { durable: true });
  const death = [{ count: 1, exchange: 'bench.orig', queue: work, reason: 'rejected', 'routing-keys': ['job'] }];
  const pad = 'x'.repeat(Math.max(0, o.size - 16));
  const started = performance.now();
  for (let i = 0; i < o.count; i++) {
    const body = Buffer.from(`${String(i).padStart(12, '0')} ${pad}`);
    if (!ch.sendToQueue(q, body, { persistent: true, headers: { 'x-death': death, n: i } })) await new Promise((r) => ch.once('drain', r));
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  const fillS = (performance.now() - started) / 1000;
  console.log(`filled ${o.count} persistent ${o.size}-byte messages in ${fillS.toFixed(1)} s (${Math.round(o.count / fillS)} msg/s); broker ${rss(o.pid)}`);

  // Let the broker settle after the fill (its last commits, a garbage collection) before timing reads.
  await new Promise((r) => setTimeout(r, 3000));
  await get(o, '/api/overview'); // the client's first fetch loads its HTTP stack: not the broker's time
  const base = `/api/leveret/queues/%2F/${encodeURIComponent(q)}/messages`;
  const first = await timed('first page (offset 0, 50 messages)', () => get(o, `${base}?limit=50`));
  if (first.total !== o.count) throw new Error(`total ${first.total}, expected ${o.count}`);
  await timed('again, first page', () => get(o, `${base}?limit=50`));
  const middle = Math.floor(o.count / 2);
  const mid = await timed(`page in the middle (offset ${middle}, 50)`, () => get(o, `${base}?offset=${middle}&limit=50`));
  if (mid.items[0].position !== middle) throw new Error('wrong middle page');
  const end = o.count - 50;
  await timed(`last page (offset ${end}, 50)`, () => get(o, `${base}?offset=${end}&limit=50`));
  await timed(`again, last page (offset ${end}, 50)`, () => get(o, `${base}?offset=${end}&limit=50`));
  await timed('a page of 500 at the end', () => get(o, `${base}?offset=${o.count - 500}&limit=500`));
  const search = await timed('search (body text, capped scan)', () => get(o, `${base}?search=${String(o.count - 1).padStart(12, '0')}`));
  console.log(`  search: total ${search.total}, scanned ${search.scanned}, truncated ${search.truncated}`);
  console.log(`after browsing: broker ${rss(o.pid)}`);

  if (o.redrive > 0) {
    // Another client publishes persistent messages with confirms meanwhile: its rate shows what the re-drive costs.
    const other = await conn.createConfirmChannel();
    const otherQ = `${q}.other`;
    await other.assertQueue(otherQ, { durable: true });
    let otherDone = 0;
    let stop = false;
    const otherLoop = (async () => {
      while (!stop) {
        for (let i = 0; i < 200; i++) other.sendToQueue(otherQ, Buffer.alloc(o.size), { persistent: true });
        await other.waitForConfirms();
        otherDone += 200;
      }
    })();
    const baselineStart = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const baseline = otherDone / ((performance.now() - baselineStart) / 1000);
    const before = otherDone;
    const t0 = performance.now();
    const res = await fetch(`${o.http}/api/leveret/queues/%2F/${encodeURIComponent(q)}/redrive`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ limit: o.redrive, rate: o.rate }),
    });
    const answer = (await res.json()) as { moved: number };
    const s = (performance.now() - t0) / 1000;
    const during = (otherDone - before) / s;
    stop = true;
    await otherLoop;
    console.log(`re-drive of ${answer.moved} messages: ${s.toFixed(1)} s, ${Math.round(answer.moved / s)} msg/s; broker ${rss(o.pid)}`);
    console.log(`another client's confirmed persistent publishes: ${Math.round(baseline)} msg/s before, ${Math.round(during)} msg/s during the re-drive`);
    const check = await ch.checkQueue(work);
    if (check.messageCount !== answer.moved) throw new Error(`work holds ${check.messageCount}, moved ${answer.moved}`);
    await other.deleteQueue(otherQ);
  }
  await ch.deleteQueue(q);
  await ch.deleteQueue(work);
  await conn.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
