/**
 * Crash test of the dead-letter re-drive (POST /api/leveret/queues/{vh}/{q}/redrive): a broker re-driving persistent
 * messages from a durable dead-letter queue back to their exchange is SIGKILLed part-way, restarted on the same data
 * directory, and every message must be in exactly one place: still in the dead-letter queue or in the queue it was
 * re-driven to, never in both, never in neither (queue/browse-take.ts: the removal is written after the copy's
 * enqueue, so the commit that makes it durable holds the copy).
 *
 * Each round: N persistent messages (numbered bodies, an x-death entry naming exchange `orig` and routing key `job`)
 * in `dlq`, a paged backlog past the in-memory window; a re-drive at a rate, or as fast as it goes; kill -9 at a
 * moment that varies by round; restart; drain both queues.
 */
import type * as amqp from 'amqplib';
import { closeAll, confirmChannel, connect } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker, type ChildBroker } from '../support/child-broker';

const N = 12_000;

jest.setTimeout(120_000);

afterEach(async () => {
  await closeAll();
});
afterAll(async () => {
  await closeAll();
  await killChildBrokers();
  removeTempDirs();
});

function httpOf(broker: ChildBroker): string {
  const started = broker.records().find((r) => r.msg === 'leveret started');
  const http = Array.isArray(started?.http) ? String(started.http[0]) : '';
  if (http === '') throw new Error('no http address in the start log');
  return `http://${http}`;
}

async function fill(broker: ChildBroker): Promise<void> {
  const conn = await connect(broker.url);
  const ch = await confirmChannel(conn);
  await ch.assertExchange('orig', 'direct', { durable: true });
  await ch.assertQueue('work', { durable: true });
  await ch.bindQueue('work', 'orig', 'job');
  await ch.assertQueue('dlq', { durable: true });
  const death = [{ count: 1, exchange: 'orig', queue: 'work', reason: 'rejected', 'routing-keys': ['job'] }];
  for (let i = 0; i < N; i++) {
    ch.sendToQueue('dlq', Buffer.from(String(i)), { persistent: true, headers: { 'x-death': death } });
    if (i % 2000 === 1999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** Every body in the queue, taken (noAck) in order. */
async function drain(ch: amqp.Channel, queue: string): Promise<number[]> {
  const out: number[] = [];
  const { messageCount } = await ch.checkQueue(queue);
  if (messageCount === 0) return out;
  await ch.prefetch(1000);
  await new Promise<void>((resolve) => {
    void ch.consume(
      queue,
      (m) => {
        if (m === null) return;
        out.push(Number(m.content.toString()));
        if (out.length === messageCount) resolve();
      },
      { noAck: true },
    );
  });
  return out;
}

/** The kill comes once `work` holds `killAt` moved messages (seen over AMQP), or when the re-drive answers. */
const ROUNDS: ReadonlyArray<{ rate?: number; killAt: number }> = [
  { rate: 4000, killAt: 1 },
  { rate: 4000, killAt: 3000 },
  { killAt: 100 },
  { killAt: 5000 },
];

describe('re-drive under kill -9', () => {
  test.each(ROUNDS.map((r, i) => [i, r] as const))('round %i: every message is in exactly one queue after the restart', async (_i, round) => {
    const dataDir = makeDataDir('leveret-redrive-crash-');
    const first = await startChildBroker({ dataDir });
    await fill(first);
    const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
    const body = JSON.stringify(round.rate === undefined ? {} : { rate: round.rate });
    const request = fetch(`${httpOf(first)}/api/leveret/queues/%2F/dlq/redrive`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body,
    }).then(
      async (res) => (await res.json()) as { moved: number },
      () => undefined, // the kill cut it short
    );
    let finished = false;
    void request.then(() => (finished = true));
    const watcher = await connect(first.url);
    const wch = await watcher.createChannel();
    while (!finished && (await wch.checkQueue('work')).messageCount < round.killAt) await new Promise((resolve) => setTimeout(resolve, 2));
    await first.kill9();
    const answered = await request;

    const second = await startChildBroker({ dataDir });
    const conn = await connect(second.url);
    const ch = await conn.createChannel();
    const left = await drain(ch, 'dlq');
    const moved = await drain(await conn.createChannel(), 'work');
    await conn.close();
    await second.stop();

    // Each in one place: the two sets together are 0..N-1 exactly once.
    const all = [...left, ...moved].sort((a, b) => a - b);
    expect(all.length).toBe(N);
    expect(all.every((n, i) => n === i)).toBe(true);
    // Order is kept on both sides: what was left, and what was moved.
    expect(left.every((n, i) => i === 0 || n > (left[i - 1] as number))).toBe(true);
    expect(moved.every((n, i) => i === 0 || n > (moved[i - 1] as number))).toBe(true);
    // The kill landed part-way, except when the re-drive finished first (then its answer counts them all).
    if (answered !== undefined) expect(answered.moved).toBe(moved.length);
    process.stdout.write(`redrive-crash round ${_i}: ${moved.length} moved, ${left.length} left, answered=${answered !== undefined}\n`);
  });
});
