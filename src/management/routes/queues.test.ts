import { GUEST, NODE_NAME } from '../test-support/fixture';
import { useFixture } from '../test-support/use-fixture';

const fx = useFixture();
const call = fx.call;

describe('queues', () => {
  test('declare (201), redeclare (204), get the fields, lists, delete (204), 404', async () => {
    expect((await call('PUT', '/api/queues/%2F/q1', { durable: true, arguments: { 'x-message-ttl': 1000, 'x-dead-letter-exchange': 'dlx' } })).status).toBe(201);
    expect((await call('PUT', '/api/queues/%2F/q1', { durable: true, arguments: { 'x-message-ttl': 1000, 'x-dead-letter-exchange': 'dlx' } })).status).toBe(204);
    const q = (await call('GET', '/api/queues/%2F/q1')).body;
    expect(q).toMatchObject({
      name: 'q1',
      vhost: '/',
      durable: true,
      auto_delete: false,
      exclusive: false,
      arguments: { 'x-message-ttl': 1000, 'x-dead-letter-exchange': 'dlx' },
      type: 'classic',
      state: 'running',
      messages: 0,
      messages_ready: 0,
      messages_unacknowledged: 0,
      consumers: 0,
      node: NODE_NAME,
    });
    expect((await call('GET', '/api/queues')).body).toHaveLength(1);
    expect((await call('GET', '/api/queues/%2F')).body).toHaveLength(1);
    expect((await call('DELETE', '/api/queues/%2F/q1')).status).toBe(204);
    expect((await call('GET', '/api/queues/%2F/q1')).status).toBe(404);
    expect((await call('DELETE', '/api/queues/%2F/q1')).status).toBe(404);
  });
  test('inequivalent redeclare -> 400 with the AMQP text', async () => {
    await call('PUT', '/api/queues/%2F/q2', { durable: true });
    expect((await call('PUT', '/api/queues/%2F/q2', { durable: false })).body).toEqual({
      error: 'bad_request',
      reason: "inequivalent arg 'durable' for queue 'q2' in vhost '/': received 'false' but current is 'true'",
    });
  });
  test('names with slashes and spaces round-trip', async () => {
    expect((await call('PUT', '/api/queues/%2F/a%2Fb%20c', {})).status).toBe(201);
    expect((await call('GET', '/api/queues/%2F/a%2Fb%20c')).body.name).toBe('a/b c');
  });
  test('if-empty and if-unused; purge', async () => {
    await call('PUT', '/api/queues/%2F/full', {});
    const queue = fx.f.vhosts.get('/')?.queues.get('full');
    const message = { id: 0, persistent: false, exchange: '', routingKey: 'full', properties: Buffer.alloc(0), body: Buffer.from('hi'), expiration: -1, headers: null };
    queue?.enqueue(message);
    queue?.enqueue({ ...message });
    expect((await call('GET', '/api/queues/%2F/full')).body).toMatchObject({ messages: 2, messages_ready: 2 });
    expect((await call('GET', '/api/overview')).body.queue_totals.messages).toBe(2);
    const notEmpty = await call('DELETE', '/api/queues/%2F/full?if-empty=true');
    expect(notEmpty.status).toBe(400);
    expect(notEmpty.body.reason).toContain('not empty');
    expect((await call('DELETE', '/api/queues/%2F/full/contents')).status).toBe(204);
    expect((await call('GET', '/api/queues/%2F/full')).body.messages).toBe(0);
    expect((await call('DELETE', '/api/queues/%2F/full?if-empty=true&if-unused=true')).status).toBe(204);
    expect((await call('DELETE', '/api/queues/%2F/nope/contents')).status).toBe(404);
  });
  test('wrong types, bad JSON, unknown vhost, reserved names', async () => {
    expect((await call('PUT', '/api/queues/%2F/q', { durable: 'sure' })).status).toBe(400);
    expect((await call('PUT', '/api/queues/%2F/q', { arguments: 'x' })).status).toBe(400);
    expect((await call('PUT', '/api/queues/%2F/q', '[1,2]')).body).toEqual({ error: 'bad_request', reason: 'not_json' });
    expect((await call('PUT', '/api/queues/%2F/q', '"{}"')).status).toBe(400);
    expect((await call('PUT', '/api/queues/%2F/q', '{"durable":')).status).toBe(400);
    expect((await call('PUT', '/api/queues/nope/q', {})).status).toBe(404);
    expect((await call('GET', '/api/queues/nope')).status).toBe(404);
    expect((await call('PUT', '/api/queues/%2F/amq.q', {})).status).toBe(401);
  });
  test('a queue exclusive to a connection cannot be redeclared or deleted over HTTP (400)', async () => {
    const owner = {};
    fx.f.vhosts.get('/')?.declareQueue({ name: 'ex', passive: false, durable: false, exclusive: true, autoDelete: false, arguments: {} }, owner);
    expect((await call('GET', '/api/queues/%2F/ex')).body.exclusive).toBe(true);
    expect((await call('PUT', '/api/queues/%2F/ex', { durable: false })).status).toBe(400);
    expect((await call('DELETE', '/api/queues/%2F/ex')).status).toBe(400);
  });
  test('pagination envelope and columns over /api/queues', async () => {
    for (let i = 0; i < 25; i++) await call('PUT', `/api/queues/%2F/q${String(i).padStart(2, '0')}`, {});
    const page = (await call('GET', '/api/queues?page=2&page_size=10&columns=name,vhost')).body;
    expect(page).toEqual({
      filtered_count: 25,
      item_count: 10,
      page: 2,
      page_count: 3,
      page_size: 10,
      total_count: 25,
      items: Array.from({ length: 10 }, (_, i) => ({ name: `q${10 + i}`, vhost: '/' })),
    });
    const filtered = (await call('GET', '/api/queues/%2F?page=1&name=q2&pagination=true')).body;
    expect(filtered.filtered_count).toBe(5);
    expect((await call('GET', '/api/queues?page=1&page_size=501')).status).toBe(400);
    expect((await call('GET', '/api/queues?page=9&page_size=10')).status).toBe(400);
    const sorted = (await call('GET', '/api/queues?sort=name&sort_reverse=true&columns=name')).body;
    expect(sorted[0]).toEqual({ name: 'q24' });
  });
  test('10,000 queues list whole, and by page sorted on the server', async () => {
    // Speed is measured by bench/, not asserted here (a loaded CI machine is no measure of it).
    const timed = await fx.replace({ checkResponses: false });
    const vhost = timed.vhosts.get('/');
    for (let i = 0; i < 10_000; i++) {
      vhost?.declareQueue({ name: `queue-${i}`, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, {});
    }
    const all = await timed.app.inject({ method: 'GET', url: '/api/queues', headers: GUEST });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toHaveLength(10_000);
    const page = await timed.app.inject({ method: 'GET', url: '/api/queues?page=7&page_size=500&sort=name', headers: GUEST });
    const body = page.json();
    expect(body.items).toHaveLength(500);
    expect(body.total_count).toBe(10_000);
    const sorted = (await timed.app.inject({ method: 'GET', url: '/api/queues?sort=name&columns=name', headers: GUEST })).json();
    const names = (list: { name: string }[]): string[] => list.map((q) => q.name);
    expect(names(body.items)).toEqual(names(sorted).slice(3000, 3500));
    expect(new Set(names(sorted)).size).toBe(10_000);
  });
});
