import type { FastifyInstance } from 'fastify';
import { parseJsonBody } from './body';
import type { Page } from './listing';
import { basic, buildFixture, fakeConnection, GUEST, NODE_NAME, type Fixture } from './test-support/fixture';
import { as, caller } from './test-support/http';
import { MessageStats } from '../observability/stats';
import type { ConnectionInfo } from './test-support/fixture';

let f: Fixture;
let app: FastifyInstance;

beforeEach(() => {
  f = buildFixture();
  app = f.app;
});
afterEach(async () => {
  await app.close();
});

const call = caller(() => app);

describe('authentication', () => {
  test('no credentials -> 401 Login failed with the Basic realm', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/overview' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="RabbitMQ Management"');
    expect(res.json()).toEqual({ error: 'not_authorised', reason: 'Login failed' });
  });
  test('a wrong password or unknown user -> 401 Login failed', async () => {
    expect((await call('GET', '/api/overview', undefined, { authorization: basic('guest', 'nope') })).body).toEqual({
      error: 'not_authorised',
      reason: 'Login failed',
    });
    expect((await call('GET', '/api/overview', undefined, { authorization: basic('ghost', 'x') })).status).toBe(401);
    expect((await call('GET', '/api/overview', undefined, { authorization: 'Bearer abc' })).status).toBe(401);
  });
  test('a user without a management tag -> 401 Not management user', async () => {
    expect(await call('GET', '/api/overview', undefined, as('plain'))).toMatchObject({
      status: 401,
      body: { error: 'not_authorised', reason: 'Not management user' },
    });
  });
  test('loopback-only users may log in from loopback only', async () => {
    const local = buildFixture({ loopbackUsers: ['guest'] });
    const remote = await local.app.inject({ method: 'GET', url: '/api/whoami', headers: GUEST, remoteAddress: '10.0.0.9' });
    expect(remote.statusCode).toBe(401);
    expect(remote.json()).toEqual({ error: 'not_authorised', reason: 'User can only log in via localhost' });
    const loopback = await local.app.inject({ method: 'GET', url: '/api/whoami', headers: GUEST, remoteAddress: '127.0.0.1' });
    expect(loopback.statusCode).toBe(200);
    await local.app.close();
  });
  test('admin-only routes refuse management and monitoring users', async () => {
    for (const user of ['mgmt', 'mon']) {
      expect(await call('GET', '/api/users', undefined, as(user))).toMatchObject({
        status: 401,
        body: { error: 'not_authorised', reason: 'Not administrator user' },
      });
      expect((await call('PUT', '/api/vhosts/x', {}, as(user))).status).toBe(401);
      expect((await call('GET', '/api/permissions', undefined, as(user))).status).toBe(401);
    }
  });
  test('nodes need monitoring', async () => {
    expect((await call('GET', '/api/nodes', undefined, as('mgmt'))).body).toEqual({ error: 'not_authorised', reason: 'Not monitor user' });
    expect((await call('GET', '/api/nodes', undefined, as('mon'))).status).toBe(200);
  });
  test('a management user sees only vhosts with permissions; monitoring sees all', async () => {
    f.vhosts.put({ name: 'other', description: '', tags: [] });
    f.vhosts.get('other')?.declareQueue({ name: 'hidden', passive: false, durable: true, exclusive: false, autoDelete: false, arguments: {} }, {});
    expect((await call('GET', '/api/vhosts', undefined, as('mgmt'))).body.map((v: { name: string }) => v.name)).toEqual(['/']);
    expect((await call('GET', '/api/vhosts', undefined, as('mon'))).body.map((v: { name: string }) => v.name)).toEqual(['/', 'other']);
    expect((await call('GET', '/api/queues', undefined, as('mgmt'))).body).toEqual([]);
    expect((await call('GET', '/api/queues', undefined, as('mon'))).body).toHaveLength(1);
    expect(await call('GET', '/api/queues/other', undefined, as('mgmt'))).toMatchObject({
      status: 401,
      body: { reason: 'User not authorised to access virtual host' },
    });
    expect((await call('GET', '/api/queues/other', undefined, as('mon'))).status).toBe(200);
    expect((await call('PUT', '/api/queues/other/q', {}, as('mon'))).status).toBe(401);
  });
  test('whoami', async () => {
    expect(await call('GET', '/api/whoami')).toEqual({
      status: 200,
      headers: expect.anything(),
      body: { name: 'guest', tags: ['administrator'], is_internal_user: true },
    });
  });
});

describe('overview and nodes', () => {
  test('overview has the fields rabbitmqadmin requires, counts from the vhosts and connections', async () => {
    await call('PUT', '/api/queues/%2F/q1', {});
    f.connections.push(fakeConnection());
    const { status, body } = await call('GET', '/api/overview');
    expect(status).toBe(200);
    for (const key of ['product_version', 'product_name', 'rabbitmq_version', 'cluster_name', 'erlang_version', 'erlang_full_version', 'statistics_db_event_queue', 'node', 'listeners']) {
      expect(body).toHaveProperty([key]);
    }
    expect(body.object_totals).toEqual({ connections: 1, channels: 2, queues: 1, exchanges: 6, consumers: 0 });
    expect(body.queue_totals).toMatchObject({ messages: 0, messages_details: { rate: 0 } });
    expect(body.message_stats).toMatchObject({ publish: 0, publish_details: { rate: 0 }, deliver_no_ack_details: { rate: 0 } });
    for (const key of ['connection_created', 'connection_closed', 'channel_created', 'channel_closed', 'queue_declared', 'queue_created', 'queue_deleted']) {
      expect(body.churn_rates).toHaveProperty([key]);
    }
    expect(body.node).toBe(NODE_NAME);
    expect(body.listeners).toEqual([{ node: NODE_NAME, protocol: 'amqp', ip_address: '127.0.0.1', port: 5672, socket_opts: {} }]);
    expect(body.exchange_types.map((t: { name: string }) => t.name).sort()).toEqual(['direct', 'fanout', 'headers', 'topic', 'x-delayed-message']);
  });
  test('nodes list and one node; unknown node 404', async () => {
    const list = await call('GET', '/api/nodes');
    expect(list.body).toHaveLength(1);
    const node = list.body[0];
    for (const key of ['name', 'uptime', 'run_queue', 'processors', 'os_pid', 'fd_total', 'proc_total', 'mem_limit', 'mem_alarm', 'disk_free_limit', 'disk_free_alarm', 'rates_mode', 'enabled_plugins', 'being_drained']) {
      expect(node).toHaveProperty([key]);
    }
    expect(node.running).toBe(true);
    expect((await call('GET', `/api/nodes/${encodeURIComponent(NODE_NAME)}`)).body.name).toBe(NODE_NAME);
    expect(await call('GET', '/api/nodes/nope')).toMatchObject({ status: 404, body: { error: 'Object Not Found', reason: 'Not Found' } });
  });
});

describe('vhosts', () => {
  test('create (201), update (204), get, list, delete (204), delete again (404)', async () => {
    expect((await call('PUT', '/api/vhosts/dev', { description: 'Dev', tags: 'a,b', default_queue_type: 'classic' })).status).toBe(201);
    expect((await call('PUT', '/api/vhosts/dev', { description: 'Dev 2', tags: ['c'] })).status).toBe(204);
    const one = await call('GET', '/api/vhosts/dev');
    expect(one.body).toMatchObject({ name: 'dev', description: 'Dev 2', tags: ['c'], default_queue_type: 'classic', messages: 0 });
    expect(one.body.metadata).toEqual({ description: 'Dev 2', tags: ['c'], default_queue_type: 'classic' });
    expect((await call('GET', '/api/vhosts')).body.map((v: { name: string }) => v.name)).toEqual(['/', 'dev']);
    expect((await call('DELETE', '/api/vhosts/dev')).status).toBe(204);
    expect(await call('DELETE', '/api/vhosts/dev')).toMatchObject({ status: 404, body: { error: 'Object Not Found' } });
    expect((await call('GET', '/api/vhosts/dev')).status).toBe(404);
  });
  test('PUT with no body creates; with a bad body is 400', async () => {
    expect((await app.inject({ method: 'PUT', url: '/api/vhosts/empty', headers: GUEST })).statusCode).toBe(201);
    expect((await call('PUT', '/api/vhosts/bad', { description: 5 })).status).toBe(400);
    expect((await call('PUT', '/api/vhosts/bad', '{"description":')).body).toEqual({ error: 'bad_request', reason: 'not_json' });
  });
  test('the default vhost %2F', async () => {
    expect((await call('GET', '/api/vhosts/%2F')).body.name).toBe('/');
  });
  test('paged vhosts', async () => {
    const page = (await call('GET', '/api/vhosts?page=1&page_size=1')).body as Page<{ name: string }>;
    expect(page).toMatchObject({ page: 1, page_size: 1, item_count: 1, total_count: 1, filtered_count: 1, page_count: 1 });
  });
});

describe('users', () => {
  test('create with password and tags string; login works; update keeps the hash; delete', async () => {
    expect((await call('PUT', '/api/users/alice', { password: 's3cret', tags: 'administrator,monitoring' })).status).toBe(201);
    const alice = (await call('GET', '/api/users/alice')).body;
    expect(alice).toMatchObject({ name: 'alice', tags: ['administrator', 'monitoring'], hashing_algorithm: 'rabbit_password_hashing_sha256' });
    expect(typeof alice.password_hash).toBe('string');
    expect((await call('GET', '/api/whoami', undefined, { authorization: basic('alice', 's3cret') })).body.name).toBe('alice');
    expect((await call('PUT', '/api/users/alice', { tags: ['management'] })).status).toBe(204);
    expect((await call('GET', '/api/users/alice')).body).toMatchObject({ tags: ['management'], password_hash: alice.password_hash });
    expect((await call('GET', '/api/users')).body.map((u: { name: string }) => u.name)).toEqual(['alice', 'guest', 'mgmt', 'mon', 'plain']);
    expect((await call('DELETE', '/api/users/alice')).status).toBe(204);
    expect((await call('DELETE', '/api/users/alice')).status).toBe(404);
    expect((await call('GET', '/api/users/alice')).status).toBe(404);
  });
  test('create with password_hash and hashing_algorithm', async () => {
    const { hashPassword } = await import('../auth/passwords');
    const hash = hashPassword('pw', 'rabbit_password_hashing_sha512');
    expect((await call('PUT', '/api/users/bob', { password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha512', tags: '' })).status).toBe(201);
    expect((await call('GET', '/api/users/bob')).body).toMatchObject({ password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha512', tags: [] });
    expect((await call('PUT', '/api/users/bob', { password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_nope' })).status).toBe(400);
    expect((await call('PUT', '/api/users/bob', { password_hash: '!!not base64!!' })).status).toBe(400);
    expect((await call('PUT', '/api/users/bob', { password: 12 })).status).toBe(400);
  });
  test("a user's permissions", async () => {
    expect((await call('GET', '/api/users/guest/permissions')).body).toEqual([
      { user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' },
    ]);
    expect((await call('GET', '/api/users/ghost/permissions')).status).toBe(404);
  });
});

describe('permissions', () => {
  test('set (201), update (204), get, lists, delete', async () => {
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '', write: '^x', read: '.*' })).status).toBe(201);
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '', write: '', read: '.*' })).status).toBe(204);
    expect((await call('GET', '/api/permissions/%2F/mon')).body).toEqual({ user: 'mon', vhost: '/', configure: '', write: '', read: '.*' });
    expect((await call('GET', '/api/permissions')).body).toHaveLength(3);
    expect((await call('GET', '/api/vhosts/%2F/permissions')).body.map((p: { user: string }) => p.user)).toEqual(['guest', 'mgmt', 'mon']);
    expect((await call('DELETE', '/api/permissions/%2F/mon')).status).toBe(204);
    expect((await call('GET', '/api/permissions/%2F/mon')).status).toBe(404);
    expect((await call('DELETE', '/api/permissions/%2F/mon')).status).toBe(404);
  });
  test('missing keys, bad regex, unknown vhost or user', async () => {
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '.*', write: '.*' })).body).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,read}]',
    });
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '(', write: '', read: '' })).status).toBe(400);
    expect(await call('PUT', '/api/permissions/nope/mon', { configure: '', write: '', read: '' })).toMatchObject({ status: 404, body: { reason: 'vhost_not_found' } });
    expect(await call('PUT', '/api/permissions/%2F/ghost', { configure: '', write: '', read: '' })).toMatchObject({ status: 404, body: { reason: 'user_not_found' } });
    expect((await call('GET', '/api/vhosts/nope/permissions')).status).toBe(404);
  });
});

describe('exchanges', () => {
  test('built-ins are listed; amq.default names the default exchange', async () => {
    const names = (await call('GET', '/api/exchanges/%2F')).body.map((x: { name: string }) => x.name);
    expect(names).toEqual(['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.topic']);
    expect((await call('GET', '/api/exchanges/%2F/amq.default')).body).toMatchObject({ name: '', type: 'direct', durable: true, incoming: [], outgoing: [] });
    expect((await call('GET', '/api/exchanges')).body).toHaveLength(6);
  });
  test('declare (201), redeclare (204), inequivalent (400), get, delete (204), 404', async () => {
    expect((await call('PUT', '/api/exchanges/%2F/x1', { type: 'topic', durable: false, arguments: { 'alternate-exchange': 'ae' } })).status).toBe(201);
    expect((await call('PUT', '/api/exchanges/%2F/x1', { type: 'topic', durable: false, arguments: { 'alternate-exchange': 'ae' } })).status).toBe(204);
    const bad = await call('PUT', '/api/exchanges/%2F/x1', { type: 'fanout', durable: false });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toContain("inequivalent arg 'type'");
    expect((await call('GET', '/api/exchanges/%2F/x1')).body).toEqual({
      name: 'x1',
      vhost: '/',
      type: 'topic',
      durable: false,
      auto_delete: false,
      internal: false,
      arguments: { 'alternate-exchange': 'ae' },
      user_who_performed_action: '',
      message_stats: expect.objectContaining({ publish_in: 0, publish_in_details: { rate: 0 } }),
      incoming: [],
      outgoing: [],
    });
    expect((await call('DELETE', '/api/exchanges/%2F/x1')).status).toBe(204);
    expect((await call('GET', '/api/exchanges/%2F/x1')).status).toBe(404);
    expect((await call('DELETE', '/api/exchanges/%2F/x1')).status).toBe(404);
  });
  test('type defaults to direct, unknown types and wrong field types are 400, amq.* is refused', async () => {
    // RabbitMQ: absent fields take exchange.declare's defaults (direct, not durable).
    expect((await call('PUT', '/api/exchanges/%2F/x2', {})).status).toBe(201);
    expect((await call('GET', '/api/exchanges/%2F/x2')).body).toMatchObject({ type: 'direct', durable: false, auto_delete: false, internal: false });
    expect((await call('DELETE', '/api/exchanges/%2F/x2')).status).toBe(204);
    expect((await call('PUT', '/api/exchanges/%2F/x2', { type: 'x-nope' })).status).toBe(400);
    expect((await call('PUT', '/api/exchanges/%2F/x2', { type: 'direct', durable: 'maybe' })).status).toBe(400);
    expect((await call('PUT', '/api/exchanges/%2F/x2', { type: 'direct', arguments: [1] })).status).toBe(400);
    expect(await call('PUT', '/api/exchanges/%2F/amq.mine', { type: 'direct' })).toMatchObject({ status: 401, body: { reason: 'Access refused.' } });
    expect((await call('DELETE', '/api/exchanges/%2F/amq.direct')).status).toBe(401);
  });
  test('if-unused', async () => {
    await call('PUT', '/api/exchanges/%2F/x3', { type: 'direct' });
    await call('PUT', '/api/queues/%2F/q3', {});
    await call('POST', '/api/bindings/%2F/e/x3/q/q3', { routing_key: 'k' });
    const res = await call('DELETE', '/api/exchanges/%2F/x3?if-unused=true');
    expect(res.status).toBe(400);
    expect(res.body.reason).toContain('in use');
    expect((await call('GET', '/api/exchanges/%2F/x3/bindings/source')).body).toMatchObject([{ source: 'x3', destination: 'q3', routing_key: 'k' }]);
    expect((await call('GET', '/api/exchanges/%2F/x3/bindings/destination')).body).toEqual([]);
    expect((await call('DELETE', '/api/exchanges/%2F/x3')).status).toBe(204);
  });
  test('unknown vhost -> 404', async () => {
    expect((await call('GET', '/api/exchanges/nope')).status).toBe(404);
    expect((await call('PUT', '/api/exchanges/nope/x', { type: 'direct' })).status).toBe(404);
    expect((await call('GET', '/api/exchanges/nope/x/bindings/source')).status).toBe(404);
  });
  test('the user needs configure permission', async () => {
    f.access.setPermission({ user: 'mgmt', vhost: '/', configure: '^mine', write: '.*', read: '.*' });
    expect((await call('PUT', '/api/exchanges/%2F/mine.x', { type: 'direct' }, as('mgmt'))).status).toBe(201);
    expect(await call('PUT', '/api/exchanges/%2F/theirs', { type: 'direct' }, as('mgmt'))).toMatchObject({ status: 401, body: { reason: 'Access refused.' } });
  });
});

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
    const queue = f.vhosts.get('/')?.queues.get('full');
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
    f.vhosts.get('/')?.declareQueue({ name: 'ex', passive: false, durable: false, exclusive: true, autoDelete: false, arguments: {} }, owner);
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
  test('10,000 queues list in well under a second', async () => {
    // Timed as the broker serves it: without the fixture's check of every response against its schema.
    await app.close();
    f = buildFixture({ checkResponses: false });
    app = f.app;
    const vhost = f.vhosts.get('/');
    for (let i = 0; i < 10_000; i++) {
      vhost?.declareQueue({ name: `queue-${i}`, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, {});
    }
    let started = performance.now();
    const all = await app.inject({ method: 'GET', url: '/api/queues', headers: GUEST });
    const fullMs = performance.now() - started;
    expect(all.statusCode).toBe(200);
    expect(all.json()).toHaveLength(10_000);
    started = performance.now();
    const page = await app.inject({ method: 'GET', url: '/api/queues?page=7&page_size=500&sort=messages', headers: GUEST });
    const pageMs = performance.now() - started;
    expect(page.json().items).toHaveLength(500);
    expect(fullMs).toBeLessThan(1000);
    expect(pageMs).toBeLessThan(1000);
  });
});

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
    f.connections.push(fakeConnection({ channels: () => channels }));
    const [c] = (await call('GET', '/api/connections')).body;
    expect(c.message_stats).toMatchObject({ publish: 15, publish_details: { rate: 11 }, ack: 3, ack_details: { rate: 3 } });
  });

  test('list, get, close with X-Reason; 404 for unknown', async () => {
    const c = fakeConnection();
    f.connections.push(c, fakeConnection({ name: '127.0.0.1:50001 -> 127.0.0.1:5672', user: 'mgmt' }));
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
    f.connections.push(mine, theirs);
    expect((await call('GET', '/api/connections', undefined, as('mgmt'))).body.map((c: { name: string }) => c.name)).toEqual(['mine']);
    expect((await call('DELETE', '/api/connections/theirs', undefined, as('mgmt'))).status).toBe(401);
    expect((await call('DELETE', '/api/connections/mine', undefined, as('mgmt'))).status).toBe(204);
    expect(mine.closedWith).toBe('Closed via management plugin');
    expect((await call('GET', '/api/connections', undefined, as('mon'))).body).toHaveLength(2);
  });
});

describe('health checks and aliveness', () => {
  test.each(['alarms', 'local-alarms', 'virtual-hosts', 'ready-to-serve-clients', 'port-listener/5672', 'protocol-listener/amqp'])(
    '%s -> 200 ok',
    async (check) => {
      const res = await call('GET', `/api/health/checks/${check}`);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
    },
  );
  test('failing listener checks -> 503', async () => {
    expect(await call('GET', '/api/health/checks/port-listener/1234')).toMatchObject({ status: 503, body: { status: 'failed' } });
    expect((await call('GET', '/api/health/checks/protocol-listener/stomp')).status).toBe(503);
    expect((await call('GET', '/api/health/checks/port-listener/abc')).status).toBe(400);
  });
  test('aliveness-test', async () => {
    expect((await call('GET', '/api/aliveness-test/%2F')).body).toEqual({ status: 'ok' });
    expect((await call('GET', '/api/aliveness-test/nope')).status).toBe(404);
  });
});

describe('HTTP behaviour', () => {
  test('wrong verb -> 405 with Allow; unknown path -> 404', async () => {
    const res = await call('POST', '/api/overview', {});
    expect(res.status).toBe(405);
    expect(res.body.error).toBe('method_not_allowed');
    expect(res.headers.allow).toContain('GET');
    expect((await call('GET', '/api/nothing-here')).status).toBe(404);
  });
  test('only application/json bodies are decoded (csrf.test.ts has the rest)', async () => {
    const res = await app.inject({ method: 'PUT', url: '/api/queues/%2F/ct', headers: { ...GUEST, 'content-type': 'text/plain' }, payload: '{"durable":false}' });
    expect(res.statusCode).toBe(415);
    expect(f.vhosts.get('/')?.queues.get('ct')).toBeUndefined();
  });
  test('parseJsonBody follows RabbitMQ', () => {
    expect(parseJsonBody('')).toEqual({});
    expect(parseJsonBody('null')).toEqual({});
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseJsonBody('"x"')).toThrow(/doubly-JSON-encoded/);
    expect(() => parseJsonBody('3')).toThrow('not_json');
  });
});
