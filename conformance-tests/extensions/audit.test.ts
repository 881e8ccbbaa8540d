/**
 * Issue 15, the audit log, against an in-process Leveret on a data directory (SQLite): changes made over HTTP, over
 * AMQP and by a definitions import each produce exactly the right entry (user, source, peer, action, object, result),
 * refused changes are recorded as refused with the broker's reason, passive and repeated declares and exclusive
 * queues add nothing, passwords never reach the log, the filters and the export work, and the entries survive a
 * restart of the broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker';
import { channel, closeAll, connect, expectChannelClose } from '../support/broker';

const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const ALICE = `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`;

interface Entry {
  id: number;
  at: number;
  user: string;
  source: string;
  peer: string;
  vhost: string;
  action: string;
  object: { type: string; name: string };
  details: Record<string, unknown>;
  result: string;
  reason?: string;
}

let dir: string;
let broker: RunningBroker;

async function start(): Promise<RunningBroker> {
  return startBroker({
    port: 0,
    amqp: { bind: ['127.0.0.1'] },
    http: { bind: ['127.0.0.1'], port: 0 },
    dataDir: dir,
    logLevel: 'silent',
  });
}

async function http(method: string, path: string, body?: unknown, auth = GUEST): Promise<Response> {
  return fetch(`${broker.httpUrl}${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function audit(query = ''): Promise<{ total: number; items: Entry[] }> {
  const res = await http('GET', `/api/leveret/audit${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { total: number; items: Entry[] };
}

/** The entries recorded since `id`, oldest first. */
async function since(id: number): Promise<Entry[]> {
  return (await audit('?limit=1000')).items.filter((e) => e.id > id).reverse();
}

async function lastId(): Promise<number> {
  return (await audit('?limit=1')).items[0]?.id ?? 0;
}

/** An entry without its id and time, for exact comparison. */
function shape(e: Entry): Omit<Entry, 'id' | 'at'> {
  const { id: _id, at: _at, ...rest } = e;
  return rest;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leveret-audit-'));
  broker = await start();
});

afterAll(async () => {
  await closeAll();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit log (Leveret)', () => {
  test('HTTP changes: one entry each with user, peer, action, object; no password; a refused one is refused', async () => {
    const before = await lastId();
    const t0 = Date.now();
    expect((await http('PUT', '/api/users/alice', { password: 's3cret-pw', tags: 'management' })).status).toBe(201);
    expect((await http('PUT', '/api/permissions/%2F/alice', { configure: '^(alice\\.|amq\\.gen)', write: '.*', read: '.*' })).status).toBe(201);
    expect((await http('PUT', '/api/policies/%2F/ttl', { pattern: '^ttl\\.', definition: { 'message-ttl': 1000 } })).status).toBe(201);
    // alice is no administrator: creating a vhost is refused, and recorded as refused.
    expect((await http('PUT', '/api/vhosts/alice-vh', {}, ALICE)).status).toBe(401); // RabbitMQ's not_authorised
    expect((await http('DELETE', '/api/policies/%2F/ttl')).status).toBe(204);
    const entries = await since(before);
    expect(entries.map(shape)).toEqual([
      { user: 'guest', source: 'http', peer: '127.0.0.1', vhost: '', action: 'user.put', object: { type: 'user', name: 'alice' }, details: { tags: 'management' }, result: 'ok' },
      {
        user: 'guest',
        source: 'http',
        peer: '127.0.0.1',
        vhost: '/',
        action: 'permission.put',
        object: { type: 'permission', name: 'alice' },
        details: { configure: '^(alice\\.|amq\\.gen)', write: '.*', read: '.*' },
        result: 'ok',
      },
      {
        user: 'guest',
        source: 'http',
        peer: '127.0.0.1',
        vhost: '/',
        action: 'policy.put',
        object: { type: 'policy', name: 'ttl' },
        details: { pattern: '^ttl\\.', definition: { 'message-ttl': 1000 } },
        result: 'ok',
      },
      {
        user: 'alice',
        source: 'http',
        peer: '127.0.0.1',
        vhost: 'alice-vh',
        action: 'vhost.put',
        object: { type: 'vhost', name: 'alice-vh' },
        details: {},
        result: 'refused',
        reason: 'not_authorised: Not administrator user',
      },
      { user: 'guest', source: 'http', peer: '127.0.0.1', vhost: '/', action: 'policy.delete', object: { type: 'policy', name: 'ttl' }, details: {}, result: 'ok' },
    ]);
    for (const e of entries) expect(e.at).toBeGreaterThanOrEqual(t0);
    expect(JSON.stringify(entries)).not.toContain('s3cret');
    // Only administrators read the log.
    expect((await http('GET', '/api/leveret/audit', undefined, ALICE)).status).toBe(401);
    expect((await http('GET', '/api/leveret/audit/export', undefined, ALICE)).status).toBe(401);
  });

  test('AMQP changes: creates, binds, unbinds and deletes recorded; redeclares, passive and exclusive not; refusals are', async () => {
    const before = await lastId();
    const conn = await connect(broker.url.replace('guest:guest', 'alice:s3cret-pw'));
    let ch = await channel(conn);
    await ch.assertExchange('alice.x', 'topic', { durable: true });
    await ch.assertQueue('alice.q', { durable: true, arguments: { 'x-max-length': 10 } });
    await ch.assertQueue('alice.q', { durable: true, arguments: { 'x-max-length': 10 } }); // redeclare: nothing
    await ch.checkQueue('alice.q'); // passive: nothing
    await ch.assertQueue('', { exclusive: true }); // the connection's own: nothing
    await ch.bindQueue('alice.q', 'alice.x', 'k.#');
    await ch.unbindQueue('alice.q', 'alice.x', 'k.#');
    await ch.deleteQueue('alice.q');
    await expectChannelClose(ch, () => ch.assertQueue('bob.q', { durable: true }), 403, /ACCESS_REFUSED/);
    ch = await channel(conn);
    await ch.assertQueue('alice.other', { durable: true });
    await expectChannelClose(ch, () => ch.assertQueue('alice.other', { durable: false }), 406, /PRECONDITION_FAILED/);
    const entries = (await since(before)).map(shape);
    const amqp = { user: 'alice', source: 'amqp', peer: '127.0.0.1', vhost: '/' };
    const binding = { source: 'alice.x', destination: 'alice.q', destination_type: 'queue', routing_key: 'k.#', arguments: [] };
    expect(entries).toEqual([
      {
        ...amqp,
        action: 'exchange.declare',
        object: { type: 'exchange', name: 'alice.x' },
        details: { type: 'topic', durable: true, auto_delete: false, internal: false, arguments: [] },
        result: 'ok',
      },
      {
        ...amqp,
        action: 'queue.declare',
        object: { type: 'queue', name: 'alice.q' },
        details: { durable: true, exclusive: false, auto_delete: false, arguments: ['x-max-length'] },
        result: 'ok',
      },
      { ...amqp, action: 'binding.create', object: { type: 'binding', name: 'alice.x -> alice.q' }, details: { method: 'queue.bind', ...binding }, result: 'ok' },
      { ...amqp, action: 'binding.delete', object: { type: 'binding', name: 'alice.x -> alice.q' }, details: { method: 'queue.unbind', ...binding }, result: 'ok' },
      { ...amqp, action: 'queue.delete', object: { type: 'queue', name: 'alice.q' }, details: { if_unused: false, if_empty: false }, result: 'ok' },
      {
        ...amqp,
        action: 'queue.declare',
        object: { type: 'queue', name: 'bob.q' },
        details: { durable: true, exclusive: false, auto_delete: false, arguments: [] },
        result: 'refused',
        reason: "ACCESS_REFUSED - access to queue 'bob.q' in vhost '/' refused for user 'alice'",
      },
      {
        ...amqp,
        action: 'queue.declare',
        object: { type: 'queue', name: 'alice.other' },
        details: { durable: true, exclusive: false, auto_delete: false, arguments: [] },
        result: 'ok',
      },
      {
        ...amqp,
        action: 'queue.declare',
        object: { type: 'queue', name: 'alice.other' },
        details: { durable: false, exclusive: false, auto_delete: false, arguments: [] },
        result: 'refused',
        reason: expect.stringMatching(/^PRECONDITION_FAILED - inequivalent arg 'durable'/) as unknown as string,
      },
    ]);
    await conn.close();
  });

  test('a definitions import is one entry with its summary; a refused import is refused with the reason', async () => {
    const before = await lastId();
    const document = {
      queues: [{ name: 'imported.q', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
      exchanges: [{ name: 'imported.x', vhost: '/', type: 'fanout', durable: true, auto_delete: false, internal: false, arguments: {} }],
      bindings: [{ source: 'imported.x', vhost: '/', destination: 'imported.q', destination_type: 'queue', routing_key: '', arguments: {} }],
    };
    expect((await http('POST', '/api/definitions', document)).status).toBe(204);
    expect((await http('POST', '/api/definitions', { queues: [{ name: 'q', vhost: 'nowhere', durable: true }] })).status).toBe(400);
    const entries = (await since(before)).map(shape);
    const common = { user: 'guest', source: 'definitions', peer: '127.0.0.1', vhost: '', action: 'definitions.import', object: { type: 'definitions', name: '' } };
    expect(entries).toEqual([
      {
        ...common,
        details: { vhosts: 0, users: 0, permissions: 0, topicPermissions: 0, parameters: 0, globalParameters: 0, policies: 0, exchanges: 1, queues: 1, bindings: 1 },
        result: 'ok',
      },
      { ...common, details: {}, result: 'refused', reason: expect.stringContaining("vhost 'nowhere'") as unknown as string },
    ]);
  });

  test('filters: user, action (exact or by type), vhost, since/until, limit; bad values are 400', async () => {
    const all = await audit('?limit=1000');
    expect(all.total).toBe(all.items.length);
    const alice = await audit('?user=alice&limit=1000');
    expect(alice.items.length).toBeGreaterThan(0);
    expect(alice.items.every((e) => e.user === 'alice')).toBe(true);
    expect(alice.total).toBe(all.items.filter((e) => e.user === 'alice').length);
    const queues = await audit('?action=queue&limit=1000');
    expect(queues.items.map((e) => e.action).sort()).toEqual(all.items.filter((e) => e.action.startsWith('queue.')).map((e) => e.action).sort());
    const deletes = await audit('?action=queue.delete');
    expect(deletes.items.map((e) => e.object.name)).toEqual(['alice.q']);
    const refused = all.items.filter((e) => e.result === 'refused');
    expect(refused.map((e) => e.action).sort()).toEqual(['definitions.import', 'queue.declare', 'queue.declare', 'vhost.put']);
    expect((await audit('?vhost=alice-vh')).items.map((e) => e.action)).toEqual(['vhost.put']);
    // Newest first; since and until are inclusive.
    const ats = all.items.map((e) => e.at);
    expect([...ats].sort((a, b) => b - a)).toEqual(ats);
    const middle = all.items[Math.floor(all.items.length / 2)]!;
    const after = await audit(`?since=${middle.at}&limit=1000`);
    expect(after.items.every((e) => e.at >= middle.at)).toBe(true);
    expect(after.items.map((e) => e.id)).toContain(middle.id);
    const upTo = await audit(`?until=${middle.at}&limit=1000`);
    expect(upTo.items.every((e) => e.at <= middle.at)).toBe(true);
    expect(after.total + upTo.total).toBeGreaterThanOrEqual(all.total);
    expect((await audit(`?since=${new Date(middle.at).toISOString()}&limit=1000`)).total).toBe(after.total);
    const two = await audit('?limit=2');
    expect(two.items.map((e) => e.id)).toEqual(all.items.slice(0, 2).map((e) => e.id));
    expect(two.total).toBe(all.total);
    for (const bad of ['?since=yesterday', '?limit=0', '?limit=x', '?until=12ab']) {
      const res = await http('GET', `/api/leveret/audit${bad}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('bad_request');
    }
  });

  test('the export is a definitions-style download of the entries, oldest first', async () => {
    const res = await http('GET', '/api/leveret/audit/export?user=alice');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="leveret-audit-\d{4}-\d{2}-\d{2}\.json"$/);
    const body = (await res.json()) as { leveret_version: string; exported_at: number; audit: Entry[] };
    expect(typeof body.leveret_version).toBe('string');
    const newestFirst = (await audit('?user=alice&limit=1000')).items;
    expect(body.audit).toEqual([...newestFirst].reverse());
  });

  test('the entries survive a restart of the broker (SQLite)', async () => {
    const before = await audit('?limit=1000');
    await closeAll();
    await broker.close();
    broker = await start();
    const after = await audit('?limit=1000');
    expect(after).toEqual(before);
    expect(after.total).toBeGreaterThan(10);
  });
});
