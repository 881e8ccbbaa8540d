import { parseJsonBody } from './body';
import { basic, buildFixture, fakeConnection, GUEST, NODE_NAME } from './test-support/fixture';
import { as } from './test-support/http';
import { useFixture } from './test-support/use-fixture';

const fx = useFixture();
const call = fx.call;

describe('authentication', () => {
  test('no credentials -> 401 Login failed with the Basic realm', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/api/overview' });
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
    fx.f.vhosts.put({ name: 'other', description: '', tags: [] });
    fx.f.vhosts.get('other')?.declareQueue({ name: 'hidden', passive: false, durable: true, exclusive: false, autoDelete: false, arguments: {} }, {});
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
    fx.f.connections.push(fakeConnection());
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
    const res = await fx.app.inject({ method: 'PUT', url: '/api/queues/%2F/ct', headers: { ...GUEST, 'content-type': 'text/plain' }, payload: '{"durable":false}' });
    expect(res.statusCode).toBe(415);
    expect(fx.f.vhosts.get('/')?.queues.get('ct')).toBeUndefined();
  });
  test('parseJsonBody follows RabbitMQ', () => {
    expect(parseJsonBody('')).toEqual({});
    expect(parseJsonBody('null')).toEqual({});
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseJsonBody('"x"')).toThrow(/doubly-JSON-encoded/);
    expect(() => parseJsonBody('3')).toThrow('not_json');
  });
});

describe('malformed paths (found by npm run fuzz:http)', () => {
  test('a queue name of 255 bytes in the path is served, not refused by the router', async () => {
    const name = 'é'.repeat(127);
    expect((await call('PUT', `/api/queues/%2F/${encodeURIComponent(name)}`, {})).status).toBe(201);
    expect((await call('GET', `/api/queues/%2F/${encodeURIComponent(name)}`)).body).toMatchObject({ name });
  });
  test('a path segment over 1024 characters is 400 with the error body', async () => {
    expect(await call('GET', `/api/queues/%2F/${'a'.repeat(1025)}`)).toMatchObject({ status: 400, body: { error: 'bad_request', reason: expect.any(String) } });
  });
  test.each(['%ff', '%c0%80', '%ed%a0%80', '%zz'])('a segment that does not decode to UTF-8 (%s) is 400 with the error body', async (segment) => {
    expect(await call('GET', `/api/queues/%2F/${segment}`)).toMatchObject({ status: 400, body: { error: 'bad_request', reason: expect.any(String) } });
  });
});
