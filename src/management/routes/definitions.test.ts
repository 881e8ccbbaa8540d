import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useFixtures } from '../test-support/use-fixture';

const FIXTURE_PATH = join(__dirname, '..', '..', 'admin', 'definitions', 'test-support', 'rabbitmq-3.10-definitions.json');
/** `rabbitmqctl export_definitions` of a RabbitMQ 3.10.8 node; passwords: alice-secret, "bob pass 2", guest. */
const RABBITMQ_DEFS = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as Record<string, any>;

const { fresh, call } = useFixtures();

const VERSION_KEYS = ['rabbit_version', 'rabbitmq_version', 'product_name', 'product_version'];

/** An export without its version fields, every list in a canonical order. */
function normalise(defs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(defs)) {
    if (VERSION_KEYS.includes(key)) continue;
    out[key] = Array.isArray(value) ? value.map((v) => JSON.stringify(sortKeys(v))).sort() : value;
  }
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

describe('importing RabbitMQ 3.10 definitions (POST /api/definitions)', () => {
  test('creates everything, and the exported users log in with their passwords', async () => {
    const f = fresh();
    const res = await call(f, 'POST', '/api/definitions', RABBITMQ_DEFS);
    expect(res).toMatchObject({ status: 204, body: undefined });

    // vhosts: 3.10 writes description and tags (as "a,b") under metadata
    expect(f.vhosts.record('orders')).toEqual({ name: 'orders', description: 'Order processing', tags: ['prod', 'eu'] });
    const orders = f.vhosts.get('orders');
    expect(orders?.limits).toEqual({ 'max-connections': 64, 'max-queues': 128 });

    // users, with RabbitMQ's salted SHA-256 hashes kept as they are
    expect(f.access.getUser('alice')).toMatchObject({ tags: ['administrator'], hashingAlgorithm: 'rabbit_password_hashing_sha256' });
    expect(f.access.getUser('bob')?.tags).toEqual(['monitoring', 'management']);
    expect(f.access.getUser('bob')?.passwordHash).toBe('MXwPDTCf2FXCe6vYfwq1TtVmM9LAL4lxtjhWiPQVYXFRzZvo');
    expect(f.access.authenticate('alice', 'alice-secret')?.name).toBe('alice');
    expect(f.access.authenticate('bob', 'bob pass 2')?.name).toBe('bob');
    expect(f.access.authenticate('guest', 'guest')?.name).toBe('guest');
    expect(f.access.authenticate('bob', 'bob pass')).toBeUndefined();
    expect(f.access.getUserLimits('bob')).toEqual({ 'max-connections': 10 });
    expect(f.access.getUserLimits('alice')).toEqual({});

    // permissions and topic permissions
    expect(f.access.getPermission('bob', 'orders')).toEqual({ user: 'bob', vhost: 'orders', configure: '^bob-.*', write: '', read: '.*' });
    expect(f.access.getPermission('alice', '/')).toMatchObject({ configure: '.*' });
    expect(f.access.listTopicPermissions()).toEqual([{ user: 'bob', vhost: 'orders', exchange: 'events', write: '^bob\\.', read: '.*' }]);

    // policy, vhost limits and the global parameter, in the store as runtime parameters
    const params = f.store.loadParameters();
    expect(params).toContainEqual({
      component: 'policy',
      vhost: 'orders',
      name: 'orders-cap',
      value: { pattern: '^orders\\.', 'apply-to': 'queues', definition: { 'max-length': 1000, overflow: 'reject-publish' }, priority: 1 },
    });
    expect(params).toContainEqual({ component: 'vhost-limits', vhost: 'orders', name: 'limits', value: { 'max-connections': 64, 'max-queues': 128 } });
    expect(params).toContainEqual({
      component: 'global',
      vhost: '',
      name: 'fixture-note',
      value: [['created-by', 'leveret tests'], ['version', 1]],
    });

    // exchanges, queues, bindings
    const events = orders?.exchanges.get('events');
    expect(events).toMatchObject({ durable: true, autoDelete: false, internal: false, arguments: { 'alternate-exchange': 'events.unrouted' } });
    expect(events?.type.name).toBe('topic');
    expect(orders?.exchanges.get('audit')?.type.name).toBe('headers');
    expect(orders?.exchanges.get('scratch')?.durable).toBe(false);
    expect(orders?.queues.get('orders.created')).toMatchObject({ durable: true, arguments: { 'x-message-ttl': 60000 } });
    expect(orders?.queues.get('orders.audit')?.arguments).toEqual({ 'x-dead-letter-exchange': 'events', 'x-max-length': 500 });
    expect(orders?.queues.get('transient')?.durable).toBe(false);
    expect(f.vhosts.get('/')?.queues.get('root.jobs')?.durable).toBe(true);
    const bindings = orders?.bindings.all().map((b) => `${b.source.name} -> ${b.destinationKind}:${b.destination.name} ${b.routingKey}`);
    expect(bindings?.sort()).toEqual([
      'amq.topic -> queue:orders.audit legacy.#',
      'audit -> queue:orders.audit ',
      'events -> exchange:audit #',
      'events -> queue:orders.created order.*.eu',
      'events -> queue:orders.created order.created.#',
      'events -> queue:transient x',
      'events.unrouted -> queue:orders.unrouted ',
    ]);
    expect(orders?.bindings.all().find((b) => b.source.name === 'audit')?.arguments).toEqual({ 'x-match': 'any', region: 'eu', priority: 5 });

    // the durable ones reached the store
    const stored = f.store.loadDefinitions();
    expect(stored.queues.map((q) => q.name).sort()).toEqual(['orders.audit', 'orders.created', 'orders.unrouted', 'root.jobs']);
    expect(stored.exchanges.map((x) => x.name).sort()).toEqual(['audit', 'events', 'events.unrouted']);
  });

  test('what it stores is what /api/policies, /api/global-parameters and /api/vhost-limits serve', async () => {
    const f = fresh();
    await call(f, 'POST', '/api/definitions', RABBITMQ_DEFS);
    expect((await call(f, 'GET', '/api/policies/orders/orders-cap')).body).toMatchObject({
      vhost: 'orders',
      name: 'orders-cap',
      pattern: '^orders\\.',
      'apply-to': 'queues',
      priority: 1,
    });
    expect((await call(f, 'GET', '/api/global-parameters/fixture-note')).body).toMatchObject({ name: 'fixture-note' });
    expect((await call(f, 'GET', '/api/vhost-limits/orders')).body).toEqual([{ vhost: 'orders', value: { 'max-connections': 64, 'max-queues': 128 } }]);
  });

  test('importing the same file again is fine (equivalent entities)', async () => {
    const f = fresh();
    expect((await call(f, 'POST', '/api/definitions', RABBITMQ_DEFS)).status).toBe(204);
    expect((await call(f, 'POST', '/api/definitions', RABBITMQ_DEFS)).status).toBe(204);
    expect(f.vhosts.get('orders')?.queues.size).toBe(4);
  });

  test('GET /api/definitions round-trips: export -> import into a fresh broker -> export gives the same content', async () => {
    const a = fresh();
    expect((await call(a, 'POST', '/api/definitions', RABBITMQ_DEFS)).status).toBe(204);
    const first = await call(a, 'GET', '/api/definitions');
    expect(first.status).toBe(200);

    const b = fresh();
    expect((await call(b, 'POST', '/api/definitions', first.body)).status).toBe(204);
    const second = await call(b, 'GET', '/api/definitions');
    expect(normalise(second.body)).toEqual(normalise(first.body));
    // and the passwords still work after two hops
    expect(b.access.authenticate('alice', 'alice-secret')?.name).toBe('alice');
  });

  test("the export has RabbitMQ's keys and shapes, non-exclusive queues (transient ones too, as RabbitMQ 3.10) and non-amq.* exchanges only", async () => {
    const f = fresh();
    await call(f, 'POST', '/api/definitions', RABBITMQ_DEFS);
    const { body } = await call(f, 'GET', '/api/definitions');
    expect(Object.keys(body).sort()).toEqual(
      [
        ...VERSION_KEYS,
        'users',
        'vhosts',
        'permissions',
        'topic_permissions',
        'parameters',
        'global_parameters',
        'policies',
        'queues',
        'exchanges',
        'bindings',
      ].sort(),
    );
    expect(body.product_name).toBe('Leveret');
    expect(body.users).toContainEqual({
      name: 'bob',
      password_hash: 'MXwPDTCf2FXCe6vYfwq1TtVmM9LAL4lxtjhWiPQVYXFRzZvo',
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: ['monitoring', 'management'],
      limits: { 'max-connections': 10 },
    });
    expect(body.vhosts).toContainEqual({
      name: 'orders',
      description: 'Order processing',
      tags: ['prod', 'eu'],
      metadata: { description: 'Order processing', tags: ['prod', 'eu'] },
    });
    expect(body.topic_permissions).toEqual([{ user: 'bob', vhost: 'orders', exchange: 'events', write: '^bob\\.', read: '.*' }]);
    expect(body.parameters).toEqual([
      { vhost: 'orders', component: 'vhost-limits', name: 'limits', value: { 'max-connections': 64, 'max-queues': 128 } },
    ]);
    expect(body.global_parameters).toEqual([{ name: 'fixture-note', value: [['created-by', 'leveret tests'], ['version', 1]] }]);
    expect(body.policies).toEqual([
      {
        vhost: 'orders',
        name: 'orders-cap',
        pattern: '^orders\\.',
        'apply-to': 'queues',
        definition: { 'max-length': 1000, overflow: 'reject-publish' },
        priority: 1,
      },
    ]);
    expect(body.queues).toContainEqual({ name: 'orders.created', vhost: 'orders', durable: true, auto_delete: false, arguments: { 'x-message-ttl': 60000 } });
    expect(body.queues.map((q: any) => q.name).sort()).toEqual(['orders.audit', 'orders.created', 'orders.unrouted', 'root.jobs', 'transient']);
    expect(body.exchanges.map((x: any) => x.name).sort()).toEqual(['audit', 'events', 'events.unrouted', 'scratch']);
    expect(body.exchanges).toContainEqual({
      name: 'events',
      vhost: 'orders',
      type: 'topic',
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: { 'alternate-exchange': 'events.unrouted' },
    });
    // the binding to the non-durable queue is kept with it (RabbitMQ 3.10); those from amq.* exchanges are kept
    expect(body.bindings).toHaveLength(8);
    expect(body.bindings).toContainEqual({
      source: 'amq.direct',
      vhost: '/',
      destination: 'root.jobs',
      destination_type: 'queue',
      routing_key: 'jobs',
      arguments: {},
    });
  });

  test('?download= asks for an attachment', async () => {
    const f = fresh();
    const res = await call(f, 'GET', '/api/definitions?download=rabbit_localhost.json');
    expect(res.headers['content-disposition']).toBe('attachment; filename="rabbit_localhost.json"');
    expect((await call(f, 'GET', '/api/all-configuration')).body.users).toBeDefined();
  });
});

describe('per-vhost definitions (/api/definitions/{vhost})', () => {
  test('GET has parameters, policies, queues, exchanges and bindings without vhost keys', async () => {
    const f = fresh();
    await call(f, 'POST', '/api/definitions', RABBITMQ_DEFS);
    const { status, body } = await call(f, 'GET', '/api/definitions/orders');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual([...VERSION_KEYS, 'parameters', 'policies', 'queues', 'exchanges', 'bindings'].sort());
    expect(body.queues).toContainEqual({ name: 'orders.created', durable: true, auto_delete: false, arguments: { 'x-message-ttl': 60000 } });
    expect(body.policies).toEqual([
      { name: 'orders-cap', pattern: '^orders\\.', 'apply-to': 'queues', definition: { 'max-length': 1000, overflow: 'reject-publish' }, priority: 1 },
    ]);
    expect(body.bindings).toHaveLength(7);
    expect((await call(f, 'GET', '/api/definitions/%2F')).body.queues.map((q: any) => q.name)).toEqual(['root.jobs']);
    expect((await call(f, 'GET', '/api/definitions/nowhere')).status).toBe(404);
  });

  test('POST imports into the vhost of the URL, whatever the items say; users and vhosts are ignored', async () => {
    const source = fresh();
    await call(source, 'POST', '/api/definitions', RABBITMQ_DEFS);
    const { body } = await call(source, 'GET', '/api/definitions/orders');

    const f = fresh();
    await call(f, 'PUT', '/api/vhosts/copy', {});
    const res = await call(f, 'POST', '/api/definitions/copy', { ...body, users: [{ name: 'mallory', password: 'x' }], vhosts: [{ name: 'nope' }] });
    expect(res.status).toBe(204);
    const copy = f.vhosts.get('copy');
    expect([...(copy?.queues.keys() ?? [])].sort()).toEqual(['orders.audit', 'orders.created', 'orders.unrouted', 'transient']);
    expect(copy?.limits).toEqual({ 'max-connections': 64, 'max-queues': 128 });
    expect(f.store.loadParameters().filter((p) => p.component === 'policy').map((p) => [p.vhost, p.name])).toEqual([['copy', 'orders-cap']]);
    expect(f.access.getUser('mallory')).toBeUndefined();
    expect(f.vhosts.get('nope')).toBeUndefined();

    // items that name another vhost still land in the URL's
    expect((await call(f, 'POST', '/api/definitions/copy', { queues: [{ name: 'elsewhere', vhost: 'other' }] })).status).toBe(204);
    expect(copy?.queues.has('elsewhere')).toBe(true);
    expect((await call(f, 'POST', '/api/definitions/missing', { queues: [] })).status).toBe(404);
  });
});

