import { GUEST } from '../test-support/fixture';
import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';

const fx = useFixture();

const call = fx.call;

const publish = (routingKey: string, payload: string, extra: Record<string, unknown> = {}, exchange = 'amq.default', headers = GUEST) =>
  call('POST', `/api/exchanges/%2F/${exchange}/publish`, { properties: {}, routing_key: routingKey, payload, payload_encoding: 'string', ...extra }, headers);
const get = (queue: string, body: Record<string, unknown>, headers = GUEST) =>
  call('POST', `/api/queues/%2F/${queue}/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto', ...body }, headers);

beforeEach(async () => {
  expect((await call('PUT', '/api/queues/%2F/q', { durable: true })).status).toBe(201);
});

describe('POST /api/exchanges/{vh}/{x}/publish', () => {
  test('the default exchange routes by queue name; unroutable messages answer routed: false', async () => {
    expect(await publish('q', 'hello')).toMatchObject({ status: 200, body: { routed: true } });
    expect(await publish('nowhere', 'hello')).toMatchObject({ status: 200, body: { routed: false } });
    expect(fx.f.vhosts.get('/')?.queues.get('q')?.messageCount).toBe(1);
    // No properties: RabbitMQ answers an empty list, not an object.
    expect((await get('q', {})).body).toEqual([
      {
        payload_bytes: 5,
        redelivered: false,
        exchange: '',
        routing_key: 'q',
        message_count: 0,
        properties: [],
        payload: 'hello',
        payload_encoding: 'string',
      },
    ]);
  });

  test('routes through bindings (topic exchange) and counts exchange stats', async () => {
    await call('PUT', '/api/exchanges/%2F/tx', { type: 'topic' });
    await call('PUT', '/api/queues/%2F/q2', {});
    await call('POST', '/api/bindings/%2F/e/tx/q/q', { routing_key: 'a.#' });
    await call('POST', '/api/bindings/%2F/e/tx/q/q2', { routing_key: '*.b' });
    expect((await publish('a.b', 'x', {}, 'tx')).body).toEqual({ routed: true });
    expect((await publish('z.z', 'x', {}, 'tx')).body).toEqual({ routed: false });
    const vhost = fx.f.vhosts.get('/')!;
    expect(vhost.queues.get('q')?.messageCount).toBe(1);
    expect(vhost.queues.get('q2')?.messageCount).toBe(1);
    expect(vhost.exchanges.get('tx')?.stats.publish_in).toBe(2);
    expect(vhost.exchanges.get('tx')?.stats.publish_out).toBe(2);
  });

  test('headers exchanges see the published headers', async () => {
    await call('PUT', '/api/exchanges/%2F/hx', { type: 'headers' });
    await call('POST', '/api/bindings/%2F/e/hx/q/q', { routing_key: '', arguments: { 'x-match': 'all', kind: 'a' } });
    expect((await publish('', 'x', { properties: { headers: { kind: 'b' } } }, 'hx')).body).toEqual({ routed: false });
    expect((await publish('', 'x', { properties: { headers: { kind: 'a' } } }, 'hx')).body).toEqual({ routed: true });
  });

  test('properties round-trip through get with RabbitMQ names', async () => {
    const properties = {
      content_type: 'text/plain',
      content_encoding: 'utf-8',
      delivery_mode: 2,
      priority: 3,
      correlation_id: 'c1',
      reply_to: 'r',
      expiration: '60000',
      message_id: 'm1',
      timestamp: 1700000000,
      type: 't',
      user_id: 'guest',
      app_id: 'app',
      headers: { a: 1, b: 'two', c: true },
    };
    expect((await publish('q', 'hi', { properties })).body).toEqual({ routed: true });
    const [m] = (await get('q', {})).body;
    expect(m).toEqual({
      payload_bytes: 2,
      redelivered: false,
      exchange: '',
      routing_key: 'q',
      message_count: 0,
      properties,
      payload: 'hi',
      payload_encoding: 'string',
    });
  });

  test('base64 payloads; validation errors', async () => {
    expect((await publish('q', Buffer.from([0, 1, 255]).toString('base64'), { payload_encoding: 'base64' })).body).toEqual({ routed: true });
    const [m] = (await get('q', {})).body;
    expect(m).toMatchObject({ payload_bytes: 3, payload: 'AAH/', payload_encoding: 'base64' });
    expect((await publish('q', '!!!', { payload_encoding: 'base64' })).status).toBe(400);
    expect((await publish('q', 'x', { payload_encoding: 'utf16' })).status).toBe(400);
    expect((await publish('q', 'x', { payload: 5 })).body).toEqual({ error: 'bad_request', reason: 'payload_not_string' });
    expect((await publish('q', 'x', { properties: { colour: 'red' } })).status).toBe(400);
    expect((await publish('q', 'x', { properties: { delivery_mode: 'x' } })).status).toBe(400);
    expect(
      (await call('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'q', payload: 'x', payload_encoding: 'string' })).body,
    ).toEqual({ error: 'bad_request', reason: '[{key_missing,properties}]' });
    // RabbitMQ's channel answers 404 for the missing exchange; the API turns it into 400.
    expect(await publish('q', 'x', {}, 'nope')).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: "404 NOT_FOUND - no exchange 'nope' in vhost '/'" },
    });
    // The body's keys are checked first; then RabbitMQ's channel: an unknown vhost is 401, a missing exchange 400.
    const ok = { routing_key: 'q', properties: {}, payload: 'x', payload_encoding: 'string' };
    expect((await call('POST', '/api/exchanges/nope/amq.default/publish', {})).status).toBe(400);
    expect((await call('POST', '/api/exchanges/nope/amq.default/publish', ok)).body).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
    expect(await call('POST', '/api/exchanges/%2F/missing/publish', ok)).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: "404 NOT_FOUND - no exchange 'missing' in vhost '/'" },
    });
    expect(fx.f.vhosts.get('/')?.queues.get('q')?.messageCount).toBe(0);
  });

  test('checks as a channel would: write permission, topic permission, internal exchanges, user_id', async () => {
    fx.f.access.setPermission({ user: 'mgmt', vhost: '/', configure: '.*', write: '^nothing$', read: '.*' });
    expect(await publish('q', 'x', {}, 'amq.default', as('mgmt'))).toMatchObject({ status: 401, body: { reason: 'Access refused.' } });
    fx.f.access.setPermission({ user: 'mgmt', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    fx.f.access.setTopicPermission({ user: 'mgmt', vhost: '/', exchange: 'amq.topic', write: '^ok$', read: '.*' });
    expect((await publish('no', 'x', {}, 'amq.topic', as('mgmt'))).status).toBe(401);
    expect((await publish('ok', 'x', {}, 'amq.topic', as('mgmt'))).status).toBe(200);
    await call('PUT', '/api/exchanges/%2F/ix', { type: 'fanout', internal: true });
    expect((await publish('q', 'x', {}, 'ix')).status).toBe(401);
    const spoof = await publish('q', 'x', { properties: { user_id: 'someone' } });
    expect(spoof.status).toBe(400);
    expect(spoof.body.reason).toMatch(/user_id property set to 'someone'/);
    fx.f.vhosts.put({ name: 'other', description: '', tags: [] });
    expect((await call('POST', '/api/exchanges/other/amq.default/publish', { properties: {}, routing_key: 'q', payload: '', payload_encoding: 'string' }, as('mgmt'))).status).toBe(401);
  });
});

describe('POST /api/queues/{vh}/{q}/get', () => {
  async function fill(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await publish('q', `m${i}`);
  }
  const count = () => fx.f.vhosts.get('/')?.queues.get('q')?.messageCount;

  test('ack_requeue_false removes; message_count is what is left', async () => {
    await fill(3);
    const res = await get('q', { count: 2 });
    expect(res.body.map((m: any) => [m.payload, m.message_count, m.redelivered])).toEqual([
      ['m0', 2, false],
      ['m1', 1, false],
    ]);
    expect(count()).toBe(1);
  });

  test('ack_requeue_true and reject_requeue_true requeue after all gets, marked redelivered', async () => {
    await fill(3);
    // rabbitmqadmin sends count as a string
    const first = await get('q', { count: '5', ackmode: 'ack_requeue_true' });
    expect(first.body.map((m: any) => m.payload)).toEqual(['m0', 'm1', 'm2']);
    expect(count()).toBe(3);
    const second = await get('q', { count: 2, ackmode: 'reject_requeue_true' });
    expect(second.body.map((m: any) => [m.payload, m.redelivered])).toEqual([
      ['m0', true],
      ['m1', true],
    ]);
    expect(count()).toBe(3);
  });

  test('reject_requeue_false drops; an empty queue gives []', async () => {
    await fill(2);
    expect((await get('q', { count: 10, ackmode: 'reject_requeue_false' })).body).toHaveLength(2);
    expect(count()).toBe(0);
    expect((await get('q', {})).body).toEqual([]);
  });

  test('encoding: auto gives strings for UTF-8 and base64 otherwise; base64 always; truncate keeps payload_bytes', async () => {
    await publish('q', 'héllo wörld');
    await publish('q', Buffer.from([0xff, 0xfe]).toString('base64'), { payload_encoding: 'base64' });
    await publish('q', 'abcdef');
    const [utf8, binary] = (await get('q', { count: 2, ackmode: 'ack_requeue_true' })).body;
    expect(utf8).toMatchObject({ payload: 'héllo wörld', payload_encoding: 'string' });
    expect(binary).toMatchObject({ payload: '//4=', payload_encoding: 'base64' });
    const [b64] = (await get('q', { encoding: 'base64', ackmode: 'ack_requeue_true' })).body;
    expect(b64).toMatchObject({ payload: Buffer.from('héllo wörld').toString('base64'), payload_encoding: 'base64' });
    await get('q', { count: 2 });
    const [cut] = (await get('q', { truncate: 3 })).body;
    expect(cut).toMatchObject({ payload: 'abc', payload_bytes: 6 });
  });

  test('validation and errors', async () => {
    expect((await call('POST', '/api/queues/%2F/q/get', { count: 1, encoding: 'auto' })).body).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,ackmode}]',
    });
    expect((await get('q', { ackmode: 'ack_maybe' })).status).toBe(400);
    expect((await get('q', { encoding: 'hex' })).body).toEqual({ error: 'bad_request', reason: 'Unsupported encoding. Please use auto or base64.' });
    expect((await get('q', { count: 'many' })).status).toBe(400);
    expect((await get('nope', {})).status).toBe(404);
    fx.f.access.setPermission({ user: 'mgmt', vhost: '/', configure: '.*', write: '.*', read: '^nothing$' });
    expect((await get('q', {}, as('mgmt'))).status).toBe(401);
    expect((await call('GET', '/api/queues/%2F/q/get')).status).toBe(405);
  });
});

describe('POST /api/queues/{vh}/{q}/get never strands a message', () => {
  const enqueue = (properties: Buffer, body = 'm') =>
    fx.f.vhosts.get('/')!.queues.get('q')!.enqueue({
      id: 0, persistent: false, exchange: '', routingKey: 'q', properties, body: Buffer.from(body), expiration: -1, headers: undefined,
    });

  test('a timestamp beyond a Date is shown exactly (as a string past 2^53), not as null', async () => {
    // headers { t: T 0x00ffffffffffffff }, timestamp property 2^40
    enqueue(Buffer.from('2040' + '0000000b' + '0174' + '54' + '00ffffffffffffff' + '0000010000000000', 'hex'));
    const res = await get('q', { ackmode: 'ack_requeue_true' });
    expect(res.status).toBe(200);
    expect(res.body[0].properties).toEqual({ headers: { t: '72057594037927935' }, timestamp: 2 ** 40 });
  });

  test('a message whose properties cannot be shown (what an older store may hold) is answered 500 and stays in its queue', async () => {
    enqueue(Buffer.from('8000', 'hex'), 'stuck?');
    enqueue(Buffer.alloc(0), 'fine');
    const queue = fx.f.vhosts.get('/')!.queues.get('q')!;
    const res = await get('q', { ackmode: 'ack_requeue_true', count: 2 });
    expect(res.status).toBe(500);
    expect(queue.messageCount).toBe(2);
    expect(queue.unackedCount).toBe(0);
  });
});

describe('POST /api/exchanges/{vh}/{x}/publish: properties out of their wire range', () => {
  test.each([
    ['a timestamp past 2^64', { timestamp: 2 ** 65 }],
    ['a priority over 255', { priority: 300 }],
    ['a message-id over 255 bytes', { message_id: 'x'.repeat(256) }],
  ])('%s is 400 and nothing is routed', async (_name, properties) => {
    const res = await publish('q', 'p', { properties });
    expect(res.status).toBe(400);
    expect(fx.f.vhosts.get('/')?.queues.get('q')?.messageCount).toBe(0);
  });
});
