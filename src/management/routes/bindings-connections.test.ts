import { fakeConnection, GUEST, NODE_NAME, type ConnectionInfo } from '../test-support/fixture';
import { as } from '../test-support/http';
import { useFixture } from '../test-support/use-fixture';
import { MessageStats } from '../../observability/stats';

const fx = useFixture();
const call = fx.call;

describe('bindings', () => {
  beforeEach(async () => {
    await call('PUT', '/api/exchanges/%2F/src', { type: 'direct' });
    await call('PUT', '/api/exchanges/%2F/dst', { type: 'fanout' });
    await call('PUT', '/api/queues/%2F/q', {});
  });

  test('create to a queue: 201 + Location ending in the properties_key; get and delete by it', async () => {
    const created = await call('POST', '/api/bindings/%2F/e/src/q/q', { routing_key: 'a b', arguments: {} });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/api/bindings/%2F/e/src/q/q/a%2Bb');
    const props = decodeURIComponent(String(created.headers.location).split('/').pop() as string);
    expect(props).toBe('a+b');
    const between = (await call('GET', '/api/bindings/%2F/e/src/q/q')).body;
    expect(between).toEqual([
      { source: 'src', vhost: '/', destination: 'q', destination_type: 'queue', routing_key: 'a b', arguments: {}, properties_key: 'a+b' },
    ]);
    expect((await call('GET', `/api/bindings/%2F/e/src/q/q/${encodeURIComponent(props)}`)).body.routing_key).toBe('a b');
    expect((await call('DELETE', `/api/bindings/%2F/e/src/q/q/${encodeURIComponent(props)}`)).status).toBe(204);
    expect((await call('GET', '/api/bindings/%2F/e/src/q/q')).body).toEqual([]);
    expect((await call('DELETE', `/api/bindings/%2F/e/src/q/q/${encodeURIComponent(props)}`)).status).toBe(404);
  });

  test('properties keys: "~" when empty, hashed arguments, exchange destinations', async () => {
    const empty = await call('POST', '/api/bindings/%2F/e/src/e/dst', {});
    expect(empty.headers.location).toBe('/api/bindings/%2F/e/src/e/dst/~');
    const withArgs = await call('POST', '/api/bindings/%2F/e/src/q/q', { routing_key: 'k', arguments: { 'x-match': 'all', a: 1 } });
    const key = decodeURIComponent(String(withArgs.headers.location).split('/').pop() as string);
    expect(key).toMatch(/^k~[A-Za-z0-9_-]+$/);
    const again = await call('POST', '/api/bindings/%2F/e/src/q/q', { routing_key: 'k', arguments: { a: 1, 'x-match': 'all' } });
    expect(again.headers.location).toBe(withArgs.headers.location);
    expect((await call('GET', `/api/bindings/%2F/e/src/q/q/${encodeURIComponent(key)}`)).body.arguments).toEqual({ 'x-match': 'all', a: 1 });
    expect((await call('GET', '/api/bindings/%2F/e/src/e/dst/~')).body).toMatchObject({ destination_type: 'exchange', properties_key: '~' });
    expect((await call('DELETE', '/api/bindings/%2F/e/src/e/dst/~')).status).toBe(204);
  });

  test('lists include the default exchange binding of each queue', async () => {
    await call('POST', '/api/bindings/%2F/e/src/q/q', { routing_key: 'r' });
    const all = (await call('GET', '/api/bindings')).body;
    expect(all).toEqual([
      { source: '', vhost: '/', destination: 'q', destination_type: 'queue', routing_key: 'q', arguments: {}, properties_key: 'q' },
      { source: 'src', vhost: '/', destination: 'q', destination_type: 'queue', routing_key: 'r', arguments: {}, properties_key: 'r' },
    ]);
    expect((await call('GET', '/api/bindings/%2F')).body).toEqual(all);
    expect((await call('GET', '/api/queues/%2F/q/bindings')).body).toEqual(all);
    expect((await call('GET', '/api/bindings/%2F/e/amq.default/q/q')).body).toHaveLength(1);
  });

  test('missing source or destination, unknown vhost, bad dtype, default exchange', async () => {
    expect((await call('POST', '/api/bindings/%2F/e/nope/q/q', {})).status).toBe(404);
    expect((await call('POST', '/api/bindings/%2F/e/src/q/nope', {})).status).toBe(404);
    expect((await call('POST', '/api/bindings/nope/e/src/q/q', {})).status).toBe(404);
    expect((await call('GET', '/api/bindings/%2F/e/src/z/q')).status).toBe(400);
    expect((await call('POST', '/api/bindings/%2F/e/amq.default/q/q', {})).status).toBe(401);
    expect((await call('POST', '/api/bindings/%2F/e/src/q/q', { routing_key: 5 })).status).toBe(400);
    expect((await call('GET', '/api/bindings/%2F/e/src/q/q/nokey')).status).toBe(404);
  });
});

describe('connections', () => {
  test("a connection's message_stats sum its channels' counters and rates", async () => {
    const a = new MessageStats();
    a.publish = 10;
    a.ack = 3;
    a.sample(1);
    const b = new MessageStats();
    b.publish = 5;
    b.sample(5);
    const channels = [{ stats: a }, { stats: b }] as unknown as ReturnType<NonNullable<ConnectionInfo['channels']>>;
    fx.f.connections.push(fakeConnection({ channels: () => channels }));
    const [c] = (await call('GET', '/api/connections')).body;
    expect(c.message_stats).toMatchObject({ publish: 15, publish_details: { rate: 11 }, ack: 3, ack_details: { rate: 3 } });
  });

  test('list, get, close with X-Reason; 404 for unknown', async () => {
    const c = fakeConnection();
    fx.f.connections.push(c, fakeConnection({ name: '127.0.0.1:50001 -> 127.0.0.1:5672', user: 'mgmt' }));
    const list = (await call('GET', '/api/connections')).body;
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      name: '127.0.0.1:50000 -> 127.0.0.1:5672',
      node: NODE_NAME,
      protocol: 'AMQP 0-9-1',
      user: 'guest',
      vhost: '/',
      peer_host: '127.0.0.1',
      peer_port: 50000,
      host: '127.0.0.1',
      port: 5672,
      channels: 2,
      connected_at: 1_700_000_000_000,
      client_properties: { product: 'amqplib', capabilities: { publisher_confirms: true } },
      frame_max: 131072,
      channel_max: 2047,
      timeout: 60,
      state: 'running',
    });
    const url = `/api/connections/${encodeURIComponent(c.name)}`;
    expect((await call('GET', url)).body.name).toBe(c.name);
    expect((await call('DELETE', url, undefined, { ...GUEST, 'x-reason': 'bye' })).status).toBe(204);
    expect(c.closedWith).toBe('bye');
    expect((await call('GET', '/api/connections/nope')).status).toBe(404);
    expect((await call('GET', '/api/vhosts/%2F/connections')).body).toHaveLength(2);
  });
  test('management users see and close only their own', async () => {
    const mine = fakeConnection({ name: 'mine', user: 'mgmt' });
    const theirs = fakeConnection({ name: 'theirs', user: 'guest' });
    fx.f.connections.push(mine, theirs);
    expect((await call('GET', '/api/connections', undefined, as('mgmt'))).body.map((c: { name: string }) => c.name)).toEqual(['mine']);
    expect((await call('DELETE', '/api/connections/theirs', undefined, as('mgmt'))).status).toBe(401);
    expect((await call('DELETE', '/api/connections/mine', undefined, as('mgmt'))).status).toBe(204);
    expect(mine.closedWith).toBe('Closed via management plugin');
    expect((await call('GET', '/api/connections', undefined, as('mon'))).body).toHaveLength(2);
  });
});
