/**
 * Leveret extension: the message browser (GET /api/leveret/queues/{vh}/{q}/messages) and dead-letter re-drive
 * (POST /api/leveret/queues/{vh}/{q}/redrive), against an in-process broker over AMQP and HTTP.
 */
import type * as amqp from 'amqplib';
import { runCli } from '../../src/cli/messages';
import { WINDOW } from '../../src/queue/paging';
import { closeAll, confirmChannel, connect, delay, eventually, headersOf, open, useBroker, uniqueName, type BrokerHandle } from '../support/broker';

jest.setTimeout(60000);

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await useBroker();
});
afterEach(async () => {
  await closeAll();
});
afterAll(async () => {
  await closeAll();
  await broker.close();
});

const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

async function api(method: string, path: string, body?: unknown, auth = GUEST): Promise<{ status: number; json: any }> {
  const res = await fetch(`${broker.httpUrl}${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

const browse = (q: string, query = ''): Promise<{ status: number; json: any }> =>
  api('GET', `/api/leveret/queues/%2F/${encodeURIComponent(q)}/messages${query}`);
const redrive = (q: string, body: unknown): Promise<{ status: number; json: any }> =>
  api('POST', `/api/leveret/queues/%2F/${encodeURIComponent(q)}/redrive`, body);

async function publishAll(ch: amqp.ConfirmChannel, queue: string, n: number, options: (i: number) => amqp.Options.Publish = () => ({})): Promise<void> {
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`), { persistent: true, ...options(i) });
  await ch.waitForConfirms();
}

async function consumeAll(ch: amqp.Channel, queue: string, n: number): Promise<amqp.Message[]> {
  const got: amqp.Message[] = [];
  await ch.prefetch(500);
  await new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (m === null) return;
      got.push(m);
      ch.ack(m);
      if (got.length === n) resolve();
    });
  });
  return got;
}

/** A dead-letter queue holding `n` messages rejected from `work` (bound to exchange `x` with key `job`). */
async function deadLettered(ch: amqp.Channel, n: number): Promise<{ x: string; work: string; dlq: string }> {
  const x = uniqueName('work.x');
  const dlx = uniqueName('dlx');
  const work = uniqueName('work');
  const dlq = uniqueName('dlq');
  await ch.assertExchange(x, 'direct', { durable: true });
  await ch.assertExchange(dlx, 'fanout', { durable: true });
  await ch.assertQueue(dlq, { durable: true });
  await ch.bindQueue(dlq, dlx, '');
  await ch.assertQueue(work, { durable: true, deadLetterExchange: dlx });
  await ch.bindQueue(work, x, 'job');
  for (let i = 0; i < n; i++) ch.publish(x, 'job', Buffer.from(`job ${i}`), { persistent: true, headers: { tenant: i % 2 === 0 ? 'even' : 'odd' } });
  for (let i = 0; i < n; i++) {
    const m = await eventually(async () => (await ch.get(work, { noAck: false })) || undefined, 3000, 'a job');
    ch.reject(m, false);
  }
  await eventually(async () => (await ch.checkQueue(dlq)).messageCount === n || undefined, 3000, 'dead letters');
  return { x, work, dlq };
}

describe('browse', () => {
  test(`a durable queue with a backlog past the in-memory window (${WINDOW}) reads at the head, across the window's edge and deep, and is unchanged after`, async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = uniqueName('backlog');
    await ch.assertQueue(q, { durable: true });
    const n = WINDOW * 2 + 1000;
    await publishAll(ch, q, n, (i) => ({ headers: { idx: i } }));

    const head = await browse(q, '?limit=3');
    expect(head.status).toBe(200);
    expect(head.json.total).toBe(n);
    expect(head.json.items.map((m: any) => [m.position, m.payload, m.routing_key, m.exchange, m.redelivered])).toEqual([
      [0, 'm0', q, '', false],
      [1, 'm1', q, '', false],
      [2, 'm2', q, '', false],
    ]);
    expect(head.json.items[0]).toMatchObject({ payload_encoding: 'string', payload_bytes: 2, properties: { delivery_mode: 2, headers: { idx: 0 } } });

    const edge = await browse(q, `?offset=${WINDOW - 5}&limit=10`);
    expect(edge.json.items.map((m: any) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => `m${WINDOW - 5 + i}`));
    const deep = await browse(q, `?offset=${n - 2}&limit=50`);
    expect(deep.json.items.map((m: any) => [m.position, m.payload])).toEqual([
      [n - 2, `m${n - 2}`],
      [n - 1, `m${n - 1}`],
    ]);
    expect((await browse(q, `?offset=${n}`)).json.items).toEqual([]);
    expect((await browse(q, '?limit=100000')).json.items).toHaveLength(500);

    const check = await ch.checkQueue(q);
    expect(check.messageCount).toBe(n);
    const got = await consumeAll(await conn.createChannel(), q, n);
    expect(got.map((m) => m.content.toString())).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    expect(got.every((m) => !m.fields.redelivered)).toBe(true);
  });

  test('a transient message behind a stored tail is shown in its place (the overflow merged by seq)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = uniqueName('overflow');
    await ch.assertQueue(q, { durable: true });
    await publishAll(ch, q, WINDOW + 10);
    ch.sendToQueue(q, Buffer.from('transient'), { persistent: false });
    await publishAll(ch, q, 1, () => ({}));
    const page = await browse(q, `?offset=${WINDOW + 8}&limit=10`);
    expect(page.json.items.map((m: any) => [m.position, m.payload])).toEqual([
      [WINDOW + 8, `m${WINDOW + 8}`],
      [WINDOW + 9, `m${WINDOW + 9}`],
      [WINDOW + 10, 'transient'],
      [WINDOW + 11, 'm0'],
    ]);
    expect((await browse(q, `?offset=${WINDOW + 10}&limit=1`)).json.items[0].payload).toBe('transient');
    expect((await browse(q, `?offset=${WINDOW + 11}&limit=1`)).json.items[0].payload).toBe('m0');
  });

  test('a priority queue is browsed in delivery order: highest priority first, FIFO within one', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = uniqueName('prio');
    await ch.assertQueue(q, { durable: true, maxPriority: 5 });
    const sent: [string, number][] = [['a1', 1], ['b5', 5], ['c3', 3], ['d5', 5], ['e0', 0]];
    for (const [body, priority] of sent) ch.sendToQueue(q, Buffer.from(body), { persistent: true, priority });
    await ch.waitForConfirms();
    const page = await browse(q);
    expect(page.json.items.map((m: any) => m.payload)).toEqual(['b5', 'd5', 'c3', 'a1', 'e0']);
    expect((await browse(q, '?offset=2&limit=2')).json.items.map((m: any) => [m.position, m.payload])).toEqual([
      [2, 'c3'],
      [3, 'a1'],
    ]);
    const got = await consumeAll(ch, q, 5);
    expect(got.map((m) => m.content.toString())).toEqual(['b5', 'd5', 'c3', 'a1', 'e0']);
  });

  test('redelivered flags are shown and left as they were', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('redelivered');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('one'));
    ch.sendToQueue(q, Buffer.from('two'));
    const first = await eventually(async () => (await ch.get(q)) || undefined);
    ch.nack(first, false, true);
    await delay(20);
    const page = await browse(q);
    expect(page.json.items.map((m: any) => [m.payload, m.redelivered])).toEqual([
      ['one', true],
      ['two', false],
    ]);
    const again = await eventually(async () => (await ch.get(q, { noAck: true })) || undefined);
    const next = await eventually(async () => (await ch.get(q, { noAck: true })) || undefined);
    expect([again.fields.redelivered, next.fields.redelivered]).toEqual([true, false]);
  });

  test('search matches a header, an x-death field, the routing key and body text (case-insensitive); total counts matches and pages through them', async () => {
    const { ch } = await open(broker.url);
    const { dlq, work } = await deadLettered(ch, 6);
    const byHeader = await browse(dlq, '?search=EVEN');
    expect(byHeader.json).toMatchObject({ total: 3, scanned: 6, truncated: false });
    expect(byHeader.json.items.map((m: any) => m.payload)).toEqual(['job 0', 'job 2', 'job 4']);
    expect(byHeader.json.items.map((m: any) => m.position)).toEqual([0, 2, 4]);
    const byDeath = await browse(dlq, `?search=${encodeURIComponent(work)}`);
    expect(byDeath.json.total).toBe(6);
    expect(byDeath.json.items[0].properties.headers['x-death'][0]).toMatchObject({ queue: work, reason: 'rejected' });
    expect((await browse(dlq, '?search=rejected')).json.total).toBe(6);
    expect((await browse(dlq, '?search=JOB%205')).json.items.map((m: any) => m.payload)).toEqual(['job 5']);
    const paged = await browse(dlq, '?search=job&offset=4&limit=1');
    expect(paged.json.total).toBe(6);
    expect(paged.json.items.map((m: any) => [m.position, m.payload])).toEqual([[4, 'job 4']]);
    expect((await browse(dlq, '?search=nothing-like-this')).json).toMatchObject({ total: 0, items: [] });
    expect((await ch.checkQueue(dlq)).messageCount).toBe(6);
  });

  test('browsing while a consumer consumes: pages stay in order and every message is consumed once, in order', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = uniqueName('busy');
    await ch.assertQueue(q, { durable: true });
    const n = WINDOW + 3000;
    await publishAll(ch, q, n);
    const consumer = await conn.createChannel();
    const consumed = consumeAll(consumer, q, n);
    let pages = 0;
    for (let offset = 0; pages < 20; offset += 400, pages++) {
      const page = await browse(q, `?offset=${offset % 4000}&limit=200`);
      expect(page.status).toBe(200);
      const seqs = page.json.items.map((m: any) => Number(String(m.payload).slice(1)));
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    }
    const got = await consumed;
    expect(got.map((m) => m.content.toString())).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
  });

  test('errors: unknown vhost or queue is 404, bad paging is 400, no read permission is refused', async () => {
    expect((await api('GET', '/api/leveret/queues/nope/q/messages')).status).toBe(404);
    expect((await browse('no-such-queue')).status).toBe(404);
    const { ch } = await open(broker.url);
    const q = uniqueName('errors');
    await ch.assertQueue(q, { durable: false });
    const bad = await browse(q, '?offset=-1');
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toMatch(/offset/);
    expect((await browse(q, '?limit=0')).status).toBe(400);
    const user = uniqueName('reader');
    expect((await api('PUT', `/api/users/${user}`, { password: 'pw', tags: 'management' })).status).toBeLessThan(300);
    expect((await api('PUT', `/api/permissions/%2F/${user}`, { configure: '', write: '.*', read: '^nothing$' })).status).toBeLessThan(300);
    const auth = `Basic ${Buffer.from(`${user}:pw`).toString('base64')}`;
    const refused = await api('GET', `/api/leveret/queues/%2F/${q}/messages`, undefined, auth);
    expect(refused.status).toBe(401);
    await api('DELETE', `/api/users/${user}`);
  });
});

describe('redrive', () => {
  test('dry run counts, moves nothing; then messages go back to the exchange and routing key of their x-death', async () => {
    const { ch } = await open(broker.url);
    const { dlq, work } = await deadLettered(ch, 8);
    const dry = await redrive(dlq, { dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ matched: 8, moved: 0, dry_run: true });
    expect((await ch.checkQueue(dlq)).messageCount).toBe(8);

    const some = await redrive(dlq, { limit: 3 });
    expect(some.json).toMatchObject({ matched: 3, moved: 3, dry_run: false });
    expect((await ch.checkQueue(dlq)).messageCount).toBe(5);
    expect((await ch.checkQueue(work)).messageCount).toBe(3);
    const back = await eventually(async () => (await ch.get(work, { noAck: true })) || undefined);
    expect(back.content.toString()).toBe('job 0');
    expect(back.fields.routingKey).toBe('job');
    expect(headersOf(back)['x-death']).toBeDefined();

    const odd = await redrive(dlq, { search: 'odd' });
    expect(odd.json).toMatchObject({ matched: 3, moved: 3 });
    expect((await browse(dlq)).json.items.map((m: any) => m.payload)).toEqual(['job 4', 'job 6']);
    expect((await ch.checkQueue(work)).messageCount).toBe(5);
  });

  test('to_exchange and routing_key choose the target; messages without x-death go only then', async () => {
    const { ch } = await open(broker.url);
    const { dlq } = await deadLettered(ch, 2);
    ch.sendToQueue(dlq, Buffer.from('never dead-lettered'));
    await eventually(async () => (await ch.checkQueue(dlq)).messageCount === 3 || undefined);
    const skip = await redrive(dlq, { dry_run: true });
    expect(skip.json).toMatchObject({ matched: 2, skipped: 1 });
    const other = uniqueName('other');
    await ch.assertQueue(other, { durable: true });
    const moved = await redrive(dlq, { to_exchange: 'amq.default', routing_key: other });
    expect(moved.json).toMatchObject({ matched: 3, moved: 3 });
    expect((await ch.checkQueue(other)).messageCount).toBe(3);
    expect((await ch.checkQueue(dlq)).messageCount).toBe(0);
    expect((await redrive(dlq, { to_exchange: 'no-such-exchange' })).status).toBe(404);
    expect((await redrive(dlq, { rate: -1 })).status).toBe(400);
    expect((await redrive(dlq, { limit: 'x' })).status).toBe(400);
  });

  test('an unroutable copy leaves its message where it was', async () => {
    const { ch } = await open(broker.url);
    const { dlq } = await deadLettered(ch, 2);
    const moved = await redrive(dlq, { to_exchange: 'amq.direct', routing_key: 'bound-to-nothing' });
    expect(moved.json).toMatchObject({ matched: 2, moved: 0, unroutable: 2 });
    expect((await browse(dlq)).json.items.map((m: any) => m.payload)).toEqual(['job 0', 'job 1']);
  });

  test('one re-drive of a queue at a time: a second one while the first runs is refused with 400', async () => {
    const { ch } = await open(broker.url);
    const { dlq, work } = await deadLettered(ch, 6);
    const first = redrive(dlq, { rate: 10 });
    await delay(50);
    const second = await redrive(dlq, {});
    expect(second.status).toBe(400);
    expect(second.json.reason).toContain('is running');
    expect((await first).json).toMatchObject({ matched: 6, moved: 6 });
    expect((await ch.checkQueue(work)).messageCount).toBe(6);
    expect((await redrive(dlq, {})).json).toMatchObject({ matched: 0, moved: 0 });
  });

  test('rate spreads the moves over time', async () => {
    const { ch } = await open(broker.url);
    const { dlq, work } = await deadLettered(ch, 12);
    const started = Date.now();
    const moved = await redrive(dlq, { rate: 20 });
    const took = Date.now() - started;
    expect(moved.json).toMatchObject({ matched: 12, moved: 12 });
    expect(took).toBeGreaterThanOrEqual(450);
    expect((await ch.checkQueue(work)).messageCount).toBe(12);
  });

  test('a re-drive of a paged durable queue moves every message once, in order', async () => {
    const { ch } = await open(broker.url);
    const conn = await connect(broker.url);
    const cch = await confirmChannel(conn);
    const dlq = uniqueName('big.dlq');
    const target = uniqueName('big.target');
    await cch.assertQueue(dlq, { durable: true });
    await cch.assertQueue(target, { durable: true });
    const n = WINDOW + 2000;
    await publishAll(cch, dlq, n);
    const moved = await redrive(dlq, { to_exchange: 'amq.default', routing_key: target });
    expect(moved.json).toMatchObject({ matched: n, moved: n });
    expect((await ch.checkQueue(dlq)).messageCount).toBe(0);
    expect((await ch.checkQueue(target)).messageCount).toBe(n);
    const got = await consumeAll(ch, target, n);
    expect(got.map((m) => m.content.toString())).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
  });
});

describe('redrive while consumed', () => {
  test('a consumer on the dead-letter queue and a re-drive share its messages: each goes one way, once', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const dlq = uniqueName('shared.dlq');
    const target = uniqueName('shared.target');
    await ch.assertQueue(dlq, { durable: true });
    await ch.assertQueue(target, { durable: true });
    const n = WINDOW + 4000;
    const death = [{ count: 1, exchange: '', queue: target, reason: 'rejected', 'routing-keys': [target] }];
    await publishAll(ch, dlq, n, () => ({ headers: { 'x-death': death } }));
    const consumer = await conn.createChannel();
    await consumer.prefetch(50);
    const consumed: string[] = [];
    await consumer.consume(dlq, (m) => {
      if (m === null) return;
      consumed.push(m.content.toString());
      // Slow enough that the re-drive overtakes it.
      setTimeout(() => consumer.ack(m), 1);
    });
    const moved = await redrive(dlq, {});
    expect(moved.status).toBe(200);
    await eventually(async () => (await ch.checkQueue(dlq)).messageCount === 0 || undefined, 10000, 'the queue empty');
    await consumer.close();
    const redriven = await consumeAll(await conn.createChannel(), target, moved.json.moved);
    const all = [...consumed, ...redriven.map((m) => m.content.toString())];
    expect(new Set(all).size).toBe(n);
    expect(all).toHaveLength(n);
    expect(moved.json.moved).toBeGreaterThan(0);
    expect(consumed.length).toBeGreaterThan(0);
    expect((await ch.checkQueue(target)).messageCount).toBe(0);
  });
});

describe('leveret browse / leveret redrive (the CLI, over HTTP)', () => {
  test('browse prints a table (or JSON), redrive a summary; a refusal is exit code 1', async () => {
    const { ch } = await open(broker.url);
    const { dlq, work } = await deadLettered(ch, 3);
    let printed = '';
    const io = { out: (t: string) => void (printed += t), env: {}, fetch: (...a: Parameters<typeof fetch>) => fetch(...a) };
    const common = ['--url', broker.httpUrl as string, '--user', 'guest', '--password', 'guest'];
    expect(await runCli('browse', [dlq, ...common, '--limit', '2'], io)).toBe(0);
    const lines = printed.trim().split('\n');
    expect(lines[0]).toMatch(/^position\s+routing_key\s+exchange\s+redelivered\s+death\s+payload$/);
    expect(lines[1]).toMatch(/^0\s+job\s+\S+\s+false\s+rejected\s+job 0$/);
    expect(lines[3]).toBe('2 shown of 3');
    printed = '';
    expect(await runCli('browse', [dlq, ...common, '--json', '--search', 'job 2'], io)).toBe(0);
    expect(JSON.parse(printed)).toMatchObject({ total: 1, items: [{ position: 2, payload: 'job 2' }] });
    printed = '';
    expect(await runCli('redrive', [dlq, ...common, '--dry-run'], io)).toBe(0);
    expect(printed).toBe('dry run: matched 3, moved 0, skipped 0, unroutable 0, scanned 3\n');
    printed = '';
    expect(await runCli('redrive', [dlq, ...common, '--limit', '2'], io)).toBe(0);
    expect(printed).toMatch(/^matched 2, moved 2,/);
    expect((await ch.checkQueue(work)).messageCount).toBe(2);
    printed = '';
    expect(await runCli('browse', ['no-such-queue', ...common], io)).toBe(1);
    expect(printed).toMatch(/404/);
    expect(await runCli('browse', [], io)).toBe(2);
  });
});
