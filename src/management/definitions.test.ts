import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startBroker } from '../broker';
import { DefinitionsError, importDefinitions, loadDefinitionsFile } from './definitions';
import { basic, buildFixture, GUEST, type Fixture } from './test-support/fixture';
import { request, type Method } from './test-support/http';

const FIXTURE_PATH = join(__dirname, 'test-support', 'rabbitmq-3.10-definitions.json');
/** `rabbitmqctl export_definitions` of a RabbitMQ 3.10.8 node; passwords: alice-secret, "bob pass 2", guest. */
const RABBITMQ_DEFS = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as Record<string, any>;

const fixtures: Fixture[] = [];
function fresh(): Fixture {
  const f = buildFixture();
  fixtures.push(f);
  return f;
}
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.app.close()));
});

const call = (f: Fixture, method: Method, url: string, body?: unknown, headers?: Record<string, string>) => request(f.app, method, url, body, headers);

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
    const params = f.deps.store.loadParameters();
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
    const stored = f.deps.store.loadDefinitions();
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
    expect(f.deps.store.loadParameters().filter((p) => p.component === 'policy').map((p) => [p.vhost, p.name])).toEqual([['copy', 'orders-cap']]);
    expect(f.access.getUser('mallory')).toBeUndefined();
    expect(f.vhosts.get('nope')).toBeUndefined();

    // items that name another vhost still land in the URL's
    expect((await call(f, 'POST', '/api/definitions/copy', { queues: [{ name: 'elsewhere', vhost: 'other' }] })).status).toBe(204);
    expect(copy?.queues.has('elsewhere')).toBe(true);
    expect((await call(f, 'POST', '/api/definitions/missing', { queues: [] })).status).toBe(404);
  });
});

describe('import errors', () => {
  test('a wrong type -> 400 naming the key, and nothing is applied', async () => {
    const f = fresh();
    const res = await call(f, 'POST', '/api/definitions', {
      vhosts: [{ name: 'early' }],
      queues: [{ name: 'q1', vhost: '/' }, { name: 'q2', vhost: '/', durable: 'yes' }],
    });
    expect(res).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(res.body.reason).toBe('queues[1].durable must be true or false, got "yes"');
    expect(f.vhosts.get('early')).toBeUndefined();

    const cases: Array<[unknown, RegExp]> = [
      [{ users: {} }, /^users must be an array/],
      [{ users: [1] }, /^users\[0\] must be an object/],
      [{ users: [{ name: 'x', tags: 5 }] }, /^users\[0\]\.tags must be a comma-separated string or an array/],
      [{ users: [{ name: 'x', password_hash: 'abc', hashing_algorithm: 'rot13' }] }, /unknown hashing algorithm 'rot13'/],
      [{ users: [{ name: 'x', limits: { 'max-queues': 1 } }] }, /^users\[0\]\.limits: unknown limit "max-queues"/],
      [{ permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*' }] }, /^permissions\[0\]\.read is missing$/],
      [{ exchanges: [{ name: 'x', vhost: '/' }] }, /^exchanges\[0\]\.type is missing$/],
      [{ exchanges: [{ name: 'x', vhost: '/', type: 'direct', arguments: [] }] }, /^exchanges\[0\]\.arguments must be an object/],
      [{ bindings: [{ source: 'a', vhost: '/', destination: 'b', destination_type: 'topic' }] }, /destination_type must be "queue" or "exchange"/],
      [{ policies: [{ vhost: '/', name: 'p', pattern: '(', definition: {} }] }, /^policies\[0\]\.pattern is not a valid regular expression/],
      [{ policies: [{ vhost: '/', name: 'p', pattern: '.', definition: {}, priority: '1' }] }, /^policies\[0\]\.priority must be an integer/],
      [{ policies: [{ vhost: '/', name: 'p', pattern: '.', definition: {}, 'apply-to': 'everything' }] }, /apply-to must be one of/],
      [{ parameters: [{ vhost: '/', component: 'vhost-limits', name: 'limits', value: 'lots' }] }, /^parameters\[0\]\.value must be an object/],
      [{ global_parameters: [{ name: 'g' }] }, /^global_parameters\[0\]\.value is missing$/],
    ];
    for (const [body, reason] of cases) {
      const r = await call(f, 'POST', '/api/definitions', body);
      expect({ body, status: r.status, error: r.body?.error }).toEqual({ body, status: 400, error: 'bad_request' });
      expect(r.body.reason).toMatch(reason);
    }
    expect((await call(f, 'POST', '/api/definitions', '[1]')).body).toEqual({ error: 'bad_request', reason: 'not_json' });
  });

  test("the web UI's multipart upload imports the file field, decoded as a JSON body is (nesting bound included)", async () => {
    const f = fresh();
    const upload = async (file: string | undefined) => {
      const part = file === undefined ? '' : `--b\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\nContent-Type: application/json\r\n\r\n${file}\r\n`;
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/definitions',
        headers: { ...GUEST, 'content-type': 'multipart/form-data; boundary=b' },
        payload: `${part}--b--\r\n`,
      });
      return { status: res.statusCode, body: res.body === '' ? undefined : (JSON.parse(res.body) as { error: string; reason: string }) };
    };
    const queue = { name: 'uploaded', vhost: '/', durable: true, auto_delete: false, arguments: {} };
    expect(await upload(JSON.stringify({ queues: [queue] }))).toEqual({ status: 204, body: undefined });
    expect(f.vhosts.get('/')?.queues.has('uploaded')).toBe(true);
    expect((await upload(undefined)).status).toBe(400);
    expect(await upload('[1]')).toEqual({ status: 400, body: { error: 'bad_request', reason: 'not_json' } });
    const deep = `{"x":${'['.repeat(150)}${']'.repeat(150)}}`;
    expect(await upload(deep)).toEqual({ status: 400, body: { error: 'bad_request', reason: 'the request body is nested deeper than 100 levels' } });
  });

  test('an inequivalent entity -> 400 with the reason; what came before it stays, as in RabbitMQ', async () => {
    const f = fresh();
    await call(f, 'PUT', '/api/queues/%2F/jobs', { durable: true });
    const res = await call(f, 'POST', '/api/definitions', {
      exchanges: [{ name: 'first', vhost: '/', type: 'fanout' }],
      queues: [{ name: 'jobs', vhost: '/', durable: false }],
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'bad_request',
      reason: "inequivalent arg 'durable' for queue 'jobs' in vhost '/': received 'false' but current is 'true'",
    });
    expect(f.vhosts.get('/')?.exchanges.has('first')).toBe(true);

    await call(f, 'PUT', '/api/exchanges/%2F/x', { type: 'direct' });
    const x = await call(f, 'POST', '/api/definitions', { exchanges: [{ name: 'x', vhost: '/', type: 'topic' }] });
    expect(x.body.reason).toMatch(/^inequivalent arg 'type' for exchange 'x' in vhost '\/'/);
  });

  test('missing vhosts, users, queues and exchanges are named', async () => {
    const f = fresh();
    const reason = async (body: unknown): Promise<string> => (await call(f, 'POST', '/api/definitions', body)).body.reason;
    expect(await reason({ permissions: [{ user: 'ghost', vhost: '/', configure: '', write: '', read: '' }] })).toBe(
      "permissions of user 'ghost' in vhost '/': user 'ghost' does not exist",
    );
    expect(await reason({ queues: [{ name: 'q', vhost: 'nowhere' }] })).toBe("queue 'q': vhost 'nowhere' does not exist");
    expect(await reason({ bindings: [{ source: 'amq.direct', vhost: '/', destination: 'nope', destination_type: 'queue', routing_key: 'k' }] })).toBe(
      "no queue 'nope' in vhost '/'",
    );
    expect(await reason({ permissions: [{ user: 'guest', vhost: '/', configure: '(', write: '', read: '' }] })).toMatch(
      /^permissions of user 'guest' in vhost '\/': invalid configure permission expression/,
    );
  });

  test('unknown keys are ignored; tags may be a comma string; amq.* exchanges are skipped; plain passwords are hashed', async () => {
    const f = fresh();
    const res = await call(f, 'POST', '/api/definitions', {
      something_new: [1, 2],
      vhosts: [{ name: 'v2', description: 'two', tags: 'a, b', default_queue_type: 'classic', unknown: true }],
      users: [
        { name: 'carol', password: 'carol-pw', tags: 'management,policymaker', extra: 1 },
        { name: 'dave', password_hash: '', tags: [] },
      ],
      exchanges: [{ name: 'amq.direct', vhost: 'v2', type: 'fanout' }, { name: 'amq.custom', vhost: 'v2', type: 'direct' }],
    });
    expect(res.status).toBe(204);
    expect(f.vhosts.record('v2')).toEqual({ name: 'v2', description: 'two', tags: ['a', 'b'], defaultQueueType: 'classic' });
    expect(f.access.getUser('carol')?.tags).toEqual(['management', 'policymaker']);
    expect(f.access.authenticate('carol', 'carol-pw')?.name).toBe('carol');
    expect(f.access.authenticate('dave', '')).toBeUndefined();
    expect(f.vhosts.get('v2')?.exchanges.get('amq.direct')?.type.name).toBe('direct');
    expect(f.vhosts.get('v2')?.exchanges.has('amq.custom')).toBe(false);
  });

  test('pre-3.6 files without hashing_algorithm are MD5', () => {
    const f = fresh();
    // base64(salt ++ md5(salt ++ "secret")) with salt 01020304
    const salt = Buffer.from([1, 2, 3, 4]);
    const hash = Buffer.concat([salt, createHash('md5').update(salt).update('secret').digest()]).toString('base64');
    importDefinitions(f.deps, { rabbit_version: '3.5.7', users: [{ name: 'old', password_hash: hash, tags: '' }] });
    expect(f.access.getUser('old')?.hashingAlgorithm).toBe('rabbit_password_hashing_md5');
    expect(f.access.authenticate('old', 'secret')?.name).toBe('old');
    importDefinitions(f.deps, { rabbit_version: '3.10.8', users: [{ name: 'new', password_hash: hash }] });
    expect(f.access.getUser('new')?.hashingAlgorithm).toBe('rabbit_password_hashing_sha256');
  });

  test('administrators only; other verbs -> 405', async () => {
    const f = fresh();
    expect((await call(f, 'GET', '/api/definitions', undefined, { authorization: basic('mgmt', 'mgmt') })).body).toEqual({
      error: 'not_authorised',
      reason: 'Not administrator user',
    });
    expect((await call(f, 'POST', '/api/definitions/%2F', {}, { authorization: basic('mon', 'mon') })).status).toBe(401);
    const put = await call(f, 'PUT', '/api/definitions', {});
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    expect((await call(f, 'POST', '/api/definitions', '')).status).toBe(204);
  });

  test('importDefinitions throws DefinitionsError', () => {
    const f = fresh();
    expect(() => importDefinitions(f.deps, 'nope')).toThrow(DefinitionsError);
    expect(() => importDefinitions(f.deps, 'nope')).toThrow('the definitions must be a JSON object');
  });
});

describe('loadDefinitions (boot-time import)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leveret-defs-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  test('imports the file and reports what it applied', () => {
    const f = fresh();
    const summary = loadDefinitionsFile(f.deps, FIXTURE_PATH);
    expect(summary).toEqual({
      vhosts: 2,
      users: 3,
      permissions: 5,
      topicPermissions: 1,
      parameters: 1,
      globalParameters: 1,
      policies: 1,
      exchanges: 4,
      queues: 5,
      bindings: 8,
    });
    expect(f.access.authenticate('bob', 'bob pass 2')?.name).toBe('bob');
  });

  test('a missing file, invalid JSON or a failing import is an Error naming the file and the problem', () => {
    const f = fresh();
    const missing = join(dir, 'missing.json');
    expect(() => loadDefinitionsFile(f.deps, missing)).toThrow(`cannot load definitions from ${missing}: no such file`);
    expect(() => loadDefinitionsFile(f.deps, dir)).toThrow(`cannot load definitions from ${dir}: it is a directory`);
    const bad = write('bad.json', '{"users": [');
    expect(() => loadDefinitionsFile(f.deps, bad)).toThrow(new RegExp(`^cannot load definitions from ${bad}: not valid JSON \\(`));
    const wrong = write('wrong.json', JSON.stringify({ queues: [{ name: 'q', vhost: 'nowhere' }] }));
    expect(() => loadDefinitionsFile(f.deps, wrong)).toThrow(
      `cannot load definitions from ${wrong}: queue 'q': vhost 'nowhere' does not exist`,
    );
    const typed = write('typed.json', JSON.stringify({ exchanges: [{ name: 'x', vhost: '/', type: 'direct', durable: 1 }] }));
    expect(() => loadDefinitionsFile(f.deps, typed)).toThrow(`cannot load definitions from ${typed}: exchanges[0].durable must be true or false, got 1`);
  });

  test('with loadDefinitions the first start creates no default guest user or / vhost (as RabbitMQ)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leveret-defs-'));
    const file = join(dir, 'defs.json');
    writeFileSync(
      file,
      JSON.stringify({
        vhosts: [{ name: 'only' }],
        users: [{ name: 'ops', password: 'ops-pw', tags: 'administrator' }],
        permissions: [{ user: 'ops', vhost: 'only', configure: '.*', write: '.*', read: '.*' }],
      }),
    );
    const broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent', loadDefinitions: file });
    try {
      await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`)).rejects.toThrow(/ACCESS_REFUSED|403/);
      const connection = await amqp.connect(`amqp://ops:ops-pw@127.0.0.1:${broker.port}/only`);
      await connection.close();
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('startBroker({ loadDefinitions }) imports at start; an imported user connects over AMQP', async () => {
    const broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent', loadDefinitions: FIXTURE_PATH });
    try {
      const connection = await amqp.connect(`amqp://alice:alice-secret@127.0.0.1:${broker.port}/orders`);
      try {
        const channel = await connection.createChannel();
        expect(await channel.checkQueue('orders.created')).toMatchObject({ queue: 'orders.created', messageCount: 0 });
        await channel.checkExchange('events');
        channel.publish('events', 'order.created.1', Buffer.from('hello'));
        const got = await waitFor(async () => channel.get('orders.created', { noAck: true }));
        expect(got && got.content.toString()).toBe('hello');
      } finally {
        await connection.close();
      }
      await expect(amqp.connect(`amqp://alice:wrong@127.0.0.1:${broker.port}/orders`)).rejects.toThrow();
    } finally {
      await broker.close();
    }
  });

  test('startBroker with a bad definitions file fails with a message naming it', async () => {
    const bad = write('bad.json', '{');
    await expect(startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, logLevel: 'silent', loadDefinitions: bad })).rejects.toThrow(
      `cannot load definitions from ${bad}: not valid JSON`,
    );
  });
});

async function waitFor<T>(poll: () => Promise<T | false>, timeoutMs = 2000): Promise<T | false> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await poll();
    if (value !== false || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
