/**
 * Live tail under load (issue 15's figure): keeps a slow Server-Sent Events reader attached to each `bench.*` queue
 * and to the default exchange of a Leveret whose management API is at --http (default http://127.0.0.1:15699), while
 * the suite runs scenario a against it. Run the suite with that port for its broker and this beside it:
 *
 *   LEVERET_BENCH_ARGS='--http-port 15699' node -r ./bench/ts-register.cjs bench/suite.ts --only leveret --repeat 3 --scenario a &
 *   node -r ./bench/ts-register.cjs bench/tail-attach.ts --seconds 120
 *
 * Every 200 ms it lists the queues; a new `bench.*` queue (each run declares its own) gets a queue tail, and the
 * default exchange it is published through has one tail while the broker lives (attached again if it restarts). Each reader takes one chunk, then sleeps --read-ms (default
 * 100 ms) before the next: far slower than scenario a publishes, so the broker's bounded buffer fills and it drops
 * events (reported at the end). Stops by itself after --seconds.
 */
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? (args[at + 1] as string) : fallback;
};
const HTTP = arg('--http', 'http://127.0.0.1:15699');
const SECONDS = Number(arg('--seconds', '120'));
const READ_MS = Number(arg('--read-ms', '100'));
const AUTH = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };

interface Counts {
  what: string;
  bytes: number;
  events: number;
  dropped: number;
}

const attached = new Set<string>();
let exchangeTailOpen = false;
const results: Counts[] = [];
const controllers: AbortController[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function attach(what: string, path: string): Promise<void> {
  const controller = new AbortController();
  controllers.push(controller);
  const counts: Counts = { what, bytes: 0, events: 0, dropped: 0 };
  results.push(counts);
  try {
    const response = await fetch(`${HTTP}/api/leveret/${path}`, { headers: AUTH, signal: controller.signal });
    if (response.status !== 200 || response.body === null) {
      console.error(`tail ${what}: ${response.status} ${await response.text()}`);
      return;
    }
    console.error(`tail attached: ${what}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      counts.bytes += value.length;
      counts.events += text.split('\ndata: {"at"').length - 1 + (text.startsWith('data: {"at"') ? 1 : 0);
      for (const m of text.matchAll(/event: dropped\ndata: \{"count":(\d+)\}/g)) counts.dropped += Number(m[1]);
      await sleep(READ_MS);
    }
  } catch {
    // aborted, or the broker went away at the end of a run
  }
}

async function main(): Promise<void> {
  const deadline = Date.now() + SECONDS * 1000;
  while (Date.now() < deadline) {
    try {
      const queues = (await (await fetch(`${HTTP}/api/queues`, { headers: AUTH })).json()) as Array<{ name: string }>;
      // Each run of scenario a declares its own queue (in a broker process of its own): tail it and the default exchange.
      for (const q of queues) {
        if (!q.name.startsWith('bench.') || attached.has(q.name)) continue;
        attached.add(q.name);
        void attach(`queue ${q.name}`, `queues/%2F/${encodeURIComponent(q.name)}/tail`);
        if (!exchangeTailOpen) {
          exchangeTailOpen = true;
          void attach(`default exchange (from ${q.name} on)`, 'exchanges/%2F/amq.default/tail').finally(() => (exchangeTailOpen = false));
        }
      }
    } catch {
      // no broker between runs
    }
    await sleep(200);
  }
  for (const c of controllers) c.abort();
  await sleep(100);
  for (const r of results) console.log(`${r.what}: ${r.events} events read (${r.bytes} bytes), ${r.dropped} dropped`);
}

void main();
