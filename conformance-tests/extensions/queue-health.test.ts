/**
 * Issue 15, queue health, over TCP and HTTP against in-process Leveret brokers (Leveret only: the `extensions`
 * project): `leveret_health` in queue views (oldest ready age, consumer utilisation, time to empty, state), sorting
 * the queue list by it, GET /api/leveret/health/queues and the leveret_queue_* Prometheus families. A durable queue
 * whose head was paged out to SQLite still answers the age of its oldest message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/broker';
import { COARSE_TICK_MS } from '../../src/util/clock';
import { delay, eventually } from '../support/broker';

jest.setTimeout(30_000);

const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

interface Health {
  oldest_ready_age_ms: number;
  consumer_utilisation: number;
  time_to_empty_s: number | null;
  state: string;
}

function start(dataDir?: string): Promise<RunningBroker> {
  return startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent', dataDir });
}

async function api<T>(b: RunningBroker, path: string, expected = 200): Promise<T> {
  const res = await fetch(`${b.httpUrl}${path}`, { headers: { authorization: GUEST } });
  const body = await res.text();
  if (res.status !== expected) throw new Error(`${path}: ${res.status} ${body}`);
  return (res.headers.get('content-type')?.includes('json') ? JSON.parse(body) : body) as T;
}

async function health(b: RunningBroker, queue: string): Promise<Health> {
  return (await api<{ leveret_health: Health }>(b, `/api/queues/%2F/${encodeURIComponent(queue)}`)).leveret_health;
}

let shared: RunningBroker;
const connections: amqp.ChannelModel[] = [];

async function channel(b: RunningBroker): Promise<amqp.Channel> {
  const conn = await amqp.connect(b.url);
  connections.push(conn);
  return conn.createChannel();
}

beforeAll(async () => {
  shared = await start();
});
afterEach(async () => {
  for (const conn of connections.splice(0)) await conn.close().catch(() => undefined);
});
afterAll(async () => {
  await shared.close();
});

describe('queue health (Leveret extension)', () => {
  test('the oldest ready message ages; without consumers: state no_consumers, time to empty null', async () => {
    const ch = await channel(shared);
    const q = 'health.aging';
    await ch.assertQueue(q, { durable: false });
    const published = Date.now();
    ch.sendToQueue(q, Buffer.from('m0'));
    await eventually(async () => (await api<{ messages_ready: number }>(shared, `/api/queues/%2F/${q}`)).messages_ready === 1);
    await delay(300);
    const first = await health(shared, q);
    expect(first.oldest_ready_age_ms).toBeGreaterThanOrEqual(300);
    // Arrivals are stamped by the coarse clock (util/clock.ts): up to COARSE_TICK_MS early, never late.
    expect(first.oldest_ready_age_ms).toBeLessThanOrEqual(Date.now() - published + COARSE_TICK_MS);
    expect(first.state).toBe('no_consumers');
    expect(first.time_to_empty_s).toBeNull();
    expect(first.consumer_utilisation).toBe(0);
    const secondSent = Date.now();
    ch.sendToQueue(q, Buffer.from('m1'));
    await delay(500);
    const later = await health(shared, q);
    expect(later.oldest_ready_age_ms - first.oldest_ready_age_ms).toBeGreaterThanOrEqual(450);
    // Taking the oldest makes m1 the oldest: younger, by at least the time between the two publishes.
    const got = await ch.get(q, { noAck: true });
    expect(got !== false && got.content.toString()).toBe('m0');
    const afterGet = await health(shared, q);
    expect(afterGet.oldest_ready_age_ms).toBeLessThanOrEqual(Date.now() - secondSent + COARSE_TICK_MS);
    expect(afterGet.oldest_ready_age_ms).toBeLessThan(later.oldest_ready_age_ms);
    await ch.purgeQueue(q);
    expect(await health(shared, q)).toEqual({ oldest_ready_age_ms: 0, consumer_utilisation: 0, time_to_empty_s: 0, state: 'ok' });
    await ch.deleteQueue(q);
  });

  test('sort=leveret_health.* in the queue list, and GET /api/leveret/health/queues worst first', async () => {
    const ch = await channel(shared);
    const names = ['health.sort.a', 'health.sort.b', 'health.sort.c'];
    for (const name of names) await ch.assertQueue(name, { durable: false });
    // b is the oldest, then c, then a (empty).
    ch.sendToQueue('health.sort.b', Buffer.from('x'));
    await delay(200);
    ch.sendToQueue('health.sort.c', Buffer.from('y'));
    await eventually(async () => (await api<{ messages_ready: number }>(shared, '/api/queues/%2F/health.sort.c')).messages_ready === 1);
    const listed = await api<{ items: Array<{ name: string; leveret_health: Health }> }>(
      shared,
      '/api/queues/%2F?page=1&page_size=100&name=health.sort&sort=leveret_health.oldest_ready_age_ms&sort_reverse=true&columns=name,leveret_health.oldest_ready_age_ms',
    );
    expect(listed.items.map((i) => i.name)).toEqual(['health.sort.b', 'health.sort.c', 'health.sort.a']);
    expect(Object.keys(listed.items[0]!.leveret_health)).toEqual(['oldest_ready_age_ms']);
    const ascending = await api<Array<{ name: string }>>(shared, '/api/queues?name=health.sort&sort=leveret_health.oldest_ready_age_ms');
    expect(ascending.map((i) => i.name)).toEqual(['health.sort.a', 'health.sort.c', 'health.sort.b']);

    const worst = await api<{ total: number; items: Array<{ name: string; vhost: string; messages_ready: number; leveret_health: Health }> }>(
      shared,
      '/api/leveret/health/queues?vhost=%2F&sort=oldest_ready_age_ms&limit=10000',
    );
    expect(worst.total).toBeGreaterThanOrEqual(3);
    const mine = worst.items.filter((i) => i.name.startsWith('health.sort.'));
    expect(mine.map((i) => i.name)).toEqual(['health.sort.b', 'health.sort.c', 'health.sort.a']);
    expect((await api<{ items: unknown[] }>(shared, '/api/leveret/health/queues?limit=2')).items).toHaveLength(2);
    expect(mine[0]).toMatchObject({ vhost: '/', messages_ready: 1, consumers: 0, leveret_health: { state: 'no_consumers' } });
    const byState = await api<{ items: Array<{ name: string; leveret_health: Health }> }>(shared, '/api/leveret/health/queues');
    const states = byState.items.map((i) => i.leveret_health.state);
    expect(states.indexOf('ok')).toBeGreaterThan(states.lastIndexOf('no_consumers'));
    const bad = await api<{ error: string; reason: string }>(shared, '/api/leveret/health/queues?sort=nope', 400);
    expect(bad.reason).toMatch(/^sort must be one of worst, oldest_ready_age_ms/);
    await api(shared, '/api/leveret/health/queues?limit=0', 400);
    await api(shared, '/api/leveret/health/queues?vhost=nowhere', 404);
    for (const name of names) await ch.deleteQueue(name);
  });

  test('Prometheus: leveret_queue_* per object with HELP and TYPE; time to empty absent while not draining', async () => {
    const ch = await channel(shared);
    const q = 'health.prom';
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('x'));
    await eventually(async () => (await api<{ messages_ready: number }>(shared, `/api/queues/%2F/${q}`)).messages_ready === 1);
    await delay(100);
    const text = await api<string>(shared, '/metrics/per-object');
    expect(text).toContain('# TYPE leveret_queue_oldest_ready_age_seconds gauge');
    expect(text).toContain('# HELP leveret_queue_consumer_utilisation ');
    const age = /^leveret_queue_oldest_ready_age_seconds\{vhost="\/",queue="health\.prom"\} (\S+)$/m.exec(text);
    expect(Number(age?.[1])).toBeGreaterThanOrEqual(0.1);
    expect(text).toMatch(/^leveret_queue_consumer_utilisation\{vhost="\/",queue="health\.prom"\} 0$/m);
    expect(text).not.toMatch(/^leveret_queue_time_to_empty_seconds\{vhost="\/",queue="health\.prom"\}/m);
    const detailed = await api<string>(shared, '/metrics/detailed?family=leveret_queue_health');
    expect(detailed).toMatch(/^leveret_detailed_queue_oldest_ready_age_seconds\{vhost="\/",queue="health\.prom"\} /m);
    await ch.deleteQueue(q);
  });

  test('a slow consumer draining a backlog: a finite time to empty that matches the drain', async () => {
    // A broker of its own, so that the backlog is published before the queue's first history sample (5 s after the
    // start): the last minute then holds the drain only, not the burst that filled the queue.
    const b = await start();
    let stopped = false;
    try {
      const ch = await channel(b);
      const q = 'health.drain';
      await ch.assertQueue(q, { durable: false });
      for (let i = 0; i < 2_000; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
      await eventually(async () => (await api<{ messages_ready: number }>(b, `/api/queues/%2F/${q}`)).messages_ready === 2_000);
      const consumer = await channel(b);
      await consumer.prefetch(1);
      let acked = 0;
      await consumer.consume(q, (msg) => {
        if (msg === null) return;
        // About 50 a second: one at a time, each held 20 ms.
        setTimeout(() => {
          if (stopped) return;
          consumer.ack(msg);
          acked++;
        }, 20);
      });
      const seen = await eventually(
        async () => {
          const h = await health(b, q);
          return h.time_to_empty_s !== null && h.time_to_empty_s > 0 ? h : undefined;
        },
        14_000,
        'a finite time to empty',
        250,
      );
      const ready = (await api<{ messages_ready: number }>(b, `/api/queues/%2F/${q}`)).messages_ready;
      expect(acked).toBeGreaterThan(0);
      // ready / net drain with a net drain of roughly 20-60 acks a second (timers on a shared machine are coarse).
      expect(seen.time_to_empty_s).toBeGreaterThan(ready / 80);
      expect(seen.time_to_empty_s).toBeLessThan(ready / 10);
      expect(['ok', 'backlog']).toContain(seen.state);
      stopped = true;
      await consumer.close();
    } finally {
      stopped = true;
      for (const conn of connections.splice(0)) await conn.close().catch(() => undefined);
      await b.close();
    }
  }, 30_000);

  test('a durable queue whose head was paged out to the store answers the age of its oldest message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leveret-health-'));
    const b = await start(dir);
    try {
      const ch = await channel(b);
      const q = 'health.paged';
      await ch.assertQueue(q, { durable: true });
      // Fill the in-memory window (4096), wait, then a batch that can only go to the store.
      for (let i = 0; i < 4_096; i++) ch.sendToQueue(q, Buffer.from(`a${i}`), { persistent: true });
      await eventually(async () => (await api<{ messages_ready: number }>(b, `/api/queues/%2F/${q}`)).messages_ready === 4_096, 10_000);
      await delay(1_500);
      const storedAt = Date.now();
      for (let i = 0; i < 200; i++) ch.sendToQueue(q, Buffer.from(`b${i}`), { persistent: true });
      const before = await eventually(async () => {
        const view = await api<{ messages_ready: number; messages_paged_out: number }>(b, `/api/queues/%2F/${q}`);
        return view.messages_ready === 4_296 ? view : undefined;
      }, 10_000);
      expect(before.messages_paged_out).toBe(200);
      expect((await health(b, q)).oldest_ready_age_ms).toBeGreaterThanOrEqual(1_500);
      // Take the whole in-memory window: the head is now what was paged out, read back from SQLite.
      for (let i = 0; i < 4_096; i++) expect((await ch.get(q, { noAck: true })) !== false).toBe(true);
      const head = await ch.get(q, { noAck: false });
      expect(head !== false && head.content.toString()).toBe('b0');
      if (head !== false) ch.nack(head, false, true);
      await delay(50);
      const h = await health(b, q);
      const sinceStored = Date.now() - storedAt;
      // The arrival of a paged-in entry is known to a second and never later than it was.
      expect(h.oldest_ready_age_ms).toBeGreaterThanOrEqual(sinceStored - 500);
      expect(h.oldest_ready_age_ms).toBeLessThanOrEqual(sinceStored + 1_000 + COARSE_TICK_MS);
      expect(h.state).toBe('no_consumers');
    } finally {
      for (const conn of connections.splice(0)) await conn.close().catch(() => undefined);
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
