/**
 * Issue 15, live tail (Leveret only): GET /api/leveret/exchanges/{vh}/{x}/tail and /api/leveret/queues/{vh}/{q}/tail
 * stream every message published to the exchange, or routed into the queue, as Server-Sent Events, without taking
 * it; a reader that never reads loses events (told in `dropped`) and never holds up publishers or consumers;
 * deleting the queue ends the stream; refusals are the API's JSON errors.
 */
import type * as amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/broker';
import { confirmChannel, connect, eventually, uniqueName } from '../support/broker';
import { SseReader } from '../support/sse';

const GUEST = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };

interface TailEvent {
  at: number;
  exchange: string;
  routing_key: string;
  properties: Record<string, unknown> | [];
  payload: string;
  payload_encoding: string;
  payload_bytes: number;
  routed?: boolean;
  redelivered?: boolean;
}

describe('live tail (Leveret)', () => {
  let broker: RunningBroker;
  let conn: amqp.ChannelModel;
  let ch: amqp.ConfirmChannel;
  const readers: SseReader[] = [];

  beforeAll(async () => {
    broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent' });
    conn = await connect(broker.url);
    ch = await confirmChannel(conn);
  });

  afterEach(() => {
    for (const r of readers.splice(0)) r.abort();
  });

  afterAll(async () => {
    await conn.close().catch(() => undefined);
    await broker.close();
  });

  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${broker.httpUrl}/api${path}`, { ...init, headers: { ...GUEST, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  async function tail(path: string, headers: Record<string, string> = GUEST, paused = false): Promise<SseReader> {
    const r = await SseReader.open(`${broker.httpUrl}/api/leveret/${path}`, headers, { paused });
    if (!(r instanceof SseReader)) throw new Error(`tail refused: ${r.status} ${await r.text()}`);
    expect(r.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    readers.push(r);
    if (!paused) await r.until((x) => x.data('open').length === 1, 3000, 'open');
    return r;
  }

  const events = (r: SseReader): TailEvent[] => r.data() as TailEvent[];

  test('an exchange tail shows every publish in order, routed or not, and consumers still get every message', async () => {
    const x = uniqueName('tail.x');
    const q = uniqueName('tail.q');
    await ch.assertExchange(x, 'topic', { durable: false, autoDelete: false });
    await ch.assertQueue(q, { durable: false, exclusive: true });
    await ch.bindQueue(q, x, 'orders.#');
    const got: string[] = [];
    await ch.consume(q, (m) => m !== null && got.push(m.content.toString()), { noAck: true });

    const r = await tail(`exchanges/%2F/${encodeURIComponent(x)}/tail`);
    expect(r.data('open')).toEqual([{ vhost: '/', exchange: x, max_bytes: 4096 }]);
    for (let i = 0; i < 50; i++) ch.publish(x, `orders.${i}`, Buffer.from(`order ${i}`), { headers: { n: i }, contentType: 'text/plain' });
    ch.publish(x, 'nowhere', Buffer.from('lost'));
    await ch.waitForConfirms();

    await r.until((s) => s.data().length === 51, 5000, '51 tail events');
    const seen = events(r);
    expect(seen.slice(0, 50).map((e) => e.payload)).toEqual(Array.from({ length: 50 }, (_, i) => `order ${i}`));
    expect(seen[3]).toMatchObject({
      exchange: x,
      routing_key: 'orders.3',
      properties: { content_type: 'text/plain', headers: { n: 3 } },
      payload_encoding: 'string',
      payload_bytes: 7,
      routed: true,
    });
    expect(typeof seen[3]?.at).toBe('number');
    expect(seen[50]).toMatchObject({ routing_key: 'nowhere', payload: 'lost', routed: false });
    await eventually(() => got.length === 50, 3000, 'consumer got all 50');
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `order ${i}`));
  });

  test('a queue tail shows what is routed in without taking it; payloads cut to max_bytes, binary as base64', async () => {
    const q = uniqueName('tail.q');
    await ch.assertQueue(q, { durable: false, exclusive: true });
    const r = await tail(`queues/%2F/${encodeURIComponent(q)}/tail?max_bytes=5`);
    ch.sendToQueue(q, Buffer.from('hello world'));
    ch.sendToQueue(q, Buffer.from([0xff, 0x00, 0xfe]));
    await ch.waitForConfirms();
    await r.until((s) => s.data().length === 2, 3000, 'two events');
    expect(events(r)).toEqual([
      expect.objectContaining({ exchange: '', routing_key: q, payload: 'hello', payload_encoding: 'string', payload_bytes: 11, redelivered: false }),
      expect.objectContaining({ payload: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), payload_encoding: 'base64', payload_bytes: 3 }),
    ]);
    // Nothing was consumed: both are still in the queue, in order.
    const check = await ch.checkQueue(q);
    expect(check.messageCount).toBe(2);
    const first = await ch.get(q, { noAck: true });
    expect(first !== false && first.content.toString()).toBe('hello world');
  });

  test('a reader that never reads gets `dropped`; publishers and consumers lose nothing meanwhile', async () => {
    const q = uniqueName('tail.slow');
    await ch.assertQueue(q, { durable: false });
    const body = Buffer.alloc(1024, 'a');
    const N = 20_000;
    const consumerConn = await connect(broker.url);
    const consumerCh = await consumerConn.createChannel();
    let consumed = 0;
    await consumerCh.consume(q, () => void consumed++, { noAck: true });

    const burst = async (): Promise<number> => {
      const before = consumed;
      const started = Date.now();
      for (let i = 0; i < N; i++) {
        if (!ch.sendToQueue(q, body)) await new Promise((resolve) => ch.once('drain', resolve));
      }
      await ch.waitForConfirms();
      await eventually(() => consumed - before === N, 20_000, 'consumer got the burst');
      return Date.now() - started;
    };
    const baseline = await burst();

    const stuck = await tail(`queues/%2F/${encodeURIComponent(q)}/tail`, GUEST, true);
    // fetch resolved on the response head, written after the subscription was made: it is tapping already.
    const withTail = await burst();
    // Its cost in time is measured, not asserted (bench/README.md, live tail): timings on a shared machine are noise.
    expect(consumed).toBe(2 * N);

    // Now the reader reads: what it gets plus what it was told it lost is the whole burst, in order.
    stuck.resume();
    await stuck.until(
      (s) => (s.data() as TailEvent[]).length + (s.data('dropped') as Array<{ count: number }>).reduce((a, d) => a + d.count, 0) === N,
      20_000,
      'events + dropped = N',
    );
    expect(stuck.data('dropped').length).toBeGreaterThan(0);
    expect(stuck.data().length).toBeGreaterThan(0);
    expect(stuck.data().length).toBeLessThan(N);
    console.log(`burst of ${N}: ${baseline} ms without a tail, ${withTail} ms with a stuck one; it got ${stuck.data().length}, dropped ${N - stuck.data().length}`);
    await consumerConn.close();
    await ch.deleteQueue(q);
  }, 60_000);

  test('deleting the queue ends the stream with an `end` event', async () => {
    const q = uniqueName('tail.del');
    await ch.assertQueue(q, { durable: false });
    const r = await tail(`queues/%2F/${encodeURIComponent(q)}/tail`);
    await ch.deleteQueue(q);
    await r.until((s) => s.ended, 3000, 'stream end');
    expect(r.data('end')).toEqual([{ reason: 'queue deleted' }]);
  });

  test('the UI session cookie is enough for a tail (a GET needs no X-Leveret-UI)', async () => {
    const login = await fetch(`${broker.httpUrl}/api/leveret/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-leveret-ui': '1' },
      body: JSON.stringify({ username: 'guest', password: 'guest' }),
    });
    expect(login.status).toBe(204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const r = await tail('exchanges/%2F/amq.direct/tail', { cookie });
    expect(r.data('open')).toEqual([{ vhost: '/', exchange: 'amq.direct', max_bytes: 4096 }]);
  });

  test('refusals are JSON errors before the stream: login, permission, not found, bad max_bytes, too many', async () => {
    const q = uniqueName('tail.perm');
    await ch.assertQueue(q, { durable: false });
    expect((await api('/users/tailer', { method: 'PUT', body: JSON.stringify({ password: 'pw', tags: 'management' }) })).status).toBe(201);
    const tailer = { authorization: `Basic ${Buffer.from('tailer:pw').toString('base64')}` };
    const refused = async (path: string, headers: Record<string, string>): Promise<[number, unknown]> => {
      const r = await SseReader.open(`${broker.httpUrl}/api/leveret/${path}`, headers);
      if (r instanceof SseReader) throw new Error('stream started');
      return [r.status, await r.json()];
    };
    const qPath = `queues/%2F/${encodeURIComponent(q)}/tail`;
    expect(await refused(qPath, {})).toEqual([401, { error: 'not_authorised', reason: 'Login failed' }]);
    expect(await refused(qPath, tailer)).toEqual([401, { error: 'not_authorised', reason: 'User not authorised to access virtual host' }]);
    // Configure and write, but no read: the queue's messages are not theirs to see.
    await api('/permissions/%2F/tailer', { method: 'PUT', body: JSON.stringify({ configure: '.*', write: '.*', read: '^nothing$' }) });
    expect(await refused(qPath, tailer)).toEqual([401, { error: 'not_authorised', reason: 'Access refused.' }]);
    expect(await refused('exchanges/%2F/amq.topic/tail', tailer)).toEqual([401, { error: 'not_authorised', reason: 'Access refused.' }]);
    await api('/permissions/%2F/tailer', { method: 'PUT', body: JSON.stringify({ configure: '', write: '', read: '.*' }) });
    await tail(qPath, tailer);

    expect(await refused('queues/%2F/no-such-queue/tail', GUEST)).toEqual([404, { error: 'Object Not Found', reason: 'Not Found' }]);
    expect(await refused('exchanges/nowhere/amq.topic/tail', GUEST)).toEqual([404, { error: 'Object Not Found', reason: 'Not Found' }]);
    expect((await refused(`${qPath}?max_bytes=-1`, GUEST))[0]).toBe(400);

    // Ten at once per user; the eleventh is 429; closing one frees its place.
    for (const r of readers.splice(0)) r.abort();
    const ten: SseReader[] = [];
    for (let i = 0; i < 10; i++) ten.push(await tail(qPath));
    expect(await refused(qPath, GUEST)).toEqual([429, { error: 'too_many_requests', reason: 'at most 10 live tails may be open at once per user' }]);
    ten[0]?.abort();
    await eventually(async () => {
      const r = await SseReader.open(`${broker.httpUrl}/api/leveret/${qPath}`, GUEST);
      if (r instanceof SseReader) readers.push(r);
      return r instanceof SseReader;
    }, 3000, 'a place freed by a disconnect');
    await api(`/queues/%2F/${encodeURIComponent(q)}`, { method: 'DELETE' });
    await api('/users/tailer', { method: 'DELETE' });
  });
});
