/**
 * Leveret: "where would this message go?" (POST /api/leveret/route) and the topology of a vhost
 * (GET /api/leveret/topology/{vhost}). The preview must say exactly what a real publish does: a topology with every
 * exchange type (headers with each x-match), exchange-to-exchange chains, a cycle, alternate exchanges, the default
 * exchange, an internal exchange and an x-delayed-message exchange is built over amqplib; hundreds of messages are
 * previewed, then published for real with a unique body each, and each queue's contents (basic.get) must be the
 * preview's queue set, message by message. Leveret only (the `extensions` jest project).
 */
import type * as amqp from 'amqplib';
import { channel, connect, expectChannelClose, uniqueName } from '../support/broker';
import { managementTarget, type ManagementTarget } from '../support/management-target';

let target: ManagementTarget;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;

jest.setTimeout(30000);
beforeAll(async () => {
  target = await managementTarget('route preview tests');
  conn = await connect(target.amqpUrl);
  ch = await conn.createConfirmChannel();
});
afterAll(async () => {
  await conn.close();
  await target.close();
});

const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

async function call(method: string, path: string, body?: unknown, auth = GUEST): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, headers: { authorization: auth } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${target.httpUrl}/api${path}`, init);
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

interface Hop {
  exchange: string;
  exchange_type: string;
  via: string;
  binding: { routing_key: string; arguments: Record<string, unknown> } | null;
  destination: string;
  destination_type: string;
}
interface Preview {
  exchange: string;
  routing_key: string;
  routing_keys: string[];
  queues: { queue: string; routing_key: string; path: Hop[]; paths: { routing_key: string; path: Hop[] }[] }[];
  unroutable: boolean;
  exchanges_visited: string[];
  held_ms?: number;
  refused?: string;
}

async function preview(exchange: string, routingKey: string, headers?: Record<string, unknown>): Promise<Preview> {
  const { status, json } = await call('POST', '/leveret/route', { vhost: '/', exchange, routing_key: routingKey, headers });
  expect({ status, json: status === 200 ? 'ok' : json }).toEqual({ status: 200, json: 'ok' });
  return json as Preview;
}

/** The topology under test; names carry a per-run prefix. */
const P = uniqueName('route');
const n = (s: string): string => `${P}.${s}`;
const QUEUES = Array.from({ length: 10 }, (_, i) => n(`q${i}`));
const q = (i: number): string => QUEUES[i] as string;

async function buildTopology(): Promise<void> {
  for (const name of QUEUES) await ch.assertQueue(name, { exclusive: true });
  await ch.assertExchange(n('d'), 'direct', { autoDelete: false });
  await ch.assertExchange(n('f'), 'fanout', { autoDelete: false });
  await ch.assertExchange(n('t'), 'topic', { autoDelete: false });
  await ch.assertExchange(n('h'), 'headers', { autoDelete: false });
  await ch.assertExchange(n('c1'), 'fanout', { autoDelete: false });
  await ch.assertExchange(n('c2'), 'topic', { autoDelete: false });
  await ch.assertExchange(n('ae'), 'fanout', { autoDelete: false });
  await ch.assertExchange(n('with-ae'), 'direct', { autoDelete: false, alternateExchange: n('ae') });
  await ch.assertExchange(n('with-ae2'), 'topic', { autoDelete: false, alternateExchange: n('t') });
  await ch.assertExchange(n('int'), 'fanout', { autoDelete: false, internal: true });
  await ch.assertExchange(n('dl'), 'x-delayed-message', { autoDelete: false, arguments: { 'x-delayed-type': 'topic' } });

  await ch.bindQueue(q(0), n('d'), 'red');
  await ch.bindQueue(q(1), n('d'), 'green');
  await ch.bindQueue(q(1), n('d'), 'red');
  await ch.bindExchange(n('f'), n('d'), 'blue');
  await ch.bindQueue(q(5), n('f'), '');
  await ch.bindQueue(q(6), n('f'), 'ignored');

  await ch.bindQueue(q(2), n('t'), 'a.*');
  await ch.bindQueue(q(3), n('t'), 'a.#');
  await ch.bindQueue(q(4), n('t'), '*.b');
  await ch.bindExchange(n('d'), n('t'), 'red');
  await ch.bindExchange(n('h'), n('t'), 'h.#');
  await ch.bindExchange(n('int'), n('t'), 'int.#');
  await ch.bindQueue(q(9), n('int'), '');

  await ch.bindQueue(q(7), n('h'), '', { 'x-match': 'all', kind: 'x', n: 1 });
  await ch.bindQueue(q(8), n('h'), '', { 'x-match': 'any', kind: 'y', color: 'red' });
  await ch.bindQueue(q(9), n('h'), '', { 'x-match': 'any-with-x', 'x-tag': 'z' });
  await ch.bindQueue(q(0), n('h'), '', { 'x-match': 'all-with-x', 'x-tag': 'z', kind: 'x' });
  await ch.bindQueue(q(2), n('h'), '', { 'x-match': 'all' });

  // A cycle: c1 -> c2 -> c1, with queues on both.
  await ch.bindExchange(n('c2'), n('c1'), '');
  await ch.bindExchange(n('c1'), n('c2'), '#');
  await ch.bindQueue(q(5), n('c1'), '');
  await ch.bindQueue(q(6), n('c2'), 'a.#');
  await ch.bindExchange(n('d'), n('c2'), 'green');

  await ch.bindQueue(q(8), n('with-ae'), 'known');
  await ch.bindQueue(q(9), n('ae'), '');
  await ch.bindQueue(q(4), n('with-ae2'), 'only.this');
  await ch.bindQueue(q(1), n('dl'), 'a.#');
}

const SOURCES = ['d', 'f', 't', 'h', 'c1', 'c2', 'with-ae', 'with-ae2', 'dl', 'ae'].map(n);
const KEYS = ['red', 'green', 'blue', 'a.b', 'a.red', 'h.x', 'int.z', 'a', 'x.b', 'known', 'only.this', 'zzz', ''];
const HEADER_SETS: (Record<string, unknown> | undefined)[] = [
  undefined,
  { kind: 'x', n: 1 },
  { kind: 'y' },
  { 'x-tag': 'z', kind: 'x' },
  { 'x-tag': 'z' },
  { CC: ['red', 'a.b'] },
  { BCC: ['green'], kind: 'x', n: 1 },
];

describe('the preview agrees with real publishes', () => {
  test('every exchange type, e2e chains, a cycle, alternate exchanges, internal and default exchanges', async () => {
    await buildTopology();
    const cases: { exchange: string; key: string; headers: Record<string, unknown> | undefined }[] = [];
    for (const exchange of SOURCES) for (const key of KEYS) for (const headers of HEADER_SETS) cases.push({ exchange, key, headers });
    // The default exchange: a queue's name, an unknown name, with CC naming another queue.
    for (const key of [q(3), 'nope', q(7)]) for (const headers of [undefined, { CC: [q(4)] }]) cases.push({ exchange: '', key, headers });

    const expected = new Map<string, string[]>();
    for (const [i, c] of cases.entries()) {
      const p = await preview(c.exchange, c.key, c.headers);
      expect(p.unroutable).toBe(p.queues.length === 0);
      expected.set(`m${i}`, p.queues.map((x) => x.queue).sort());
      ch.publish(c.exchange, c.key, Buffer.from(`m${i}`), c.headers === undefined ? {} : { headers: c.headers });
    }
    await ch.waitForConfirms();

    const actual = new Map<string, string[]>([...expected.keys()].map((k) => [k, []]));
    for (const name of QUEUES) {
      for (;;) {
        const m = await ch.get(name, { noAck: true });
        if (m === false) break;
        actual.get(m.content.toString())?.push(name);
      }
    }
    for (const list of actual.values()) list.sort();
    expect(actual).toEqual(expected);
    // The topology is rich enough to mean something: most messages reach a queue, some reach several, some none.
    const sizes = [...expected.values()].map((l) => l.length);
    expect(sizes.filter((s) => s === 0).length).toBeGreaterThan(10);
    expect(sizes.filter((s) => s >= 3).length).toBeGreaterThan(50);
    expect(cases.length).toBeGreaterThan(900);
  });

  test('paths: e2e chain, alternate exchange, cycle, default exchange, CC keys', async () => {
    const chain = await preview(n('t'), 'red');
    expect(chain.exchanges_visited).toEqual([n('t'), n('d')]);
    expect(chain.queues.map((x) => x.queue).sort()).toEqual([q(0), q(1)]);
    const toQ0 = chain.queues.find((x) => x.queue === q(0));
    expect(toQ0?.path).toEqual([
      { exchange: n('t'), exchange_type: 'topic', via: 'binding', binding: { routing_key: 'red', arguments: {} }, destination: n('d'), destination_type: 'exchange' },
      { exchange: n('d'), exchange_type: 'direct', via: 'binding', binding: { routing_key: 'red', arguments: {} }, destination: q(0), destination_type: 'queue' },
    ]);

    const ae = await preview(n('with-ae'), 'unknown');
    expect(ae.queues).toHaveLength(1);
    expect(ae.queues[0]?.path.map((h) => [h.exchange, h.via, h.destination])).toEqual([
      [n('with-ae'), 'alternate-exchange', n('ae')],
      [n('ae'), 'binding', q(9)],
    ]);

    const cycle = await preview(n('c1'), 'a.b');
    expect(cycle.exchanges_visited).toEqual([n('c1'), n('c2')]);
    expect(cycle.queues.map((x) => x.queue).sort()).toEqual([q(5), q(6)]);

    const both = await preview(n('t'), 'a.b');
    // q3 ('a.#') and q2 ('a.*') and q4 ('*.b') each by one binding.
    expect(both.queues.map((x) => [x.queue, x.paths.length]).sort()).toEqual([[q(2), 1], [q(3), 1], [q(4), 1]]);

    const byDefault = await preview('amq.default', q(3), { CC: [q(4)] });
    expect(byDefault.routing_keys).toEqual([q(3), q(4)]);
    expect(byDefault.queues.map((x) => [x.queue, x.routing_key, x.path[0]?.via, x.path[0]?.binding?.routing_key])).toEqual([
      [q(3), q(3), 'default', q(3)],
      [q(4), q(4), 'default', q(4)],
    ]);

    const headers = await preview(n('h'), '', { 'x-tag': 'z', kind: 'x' });
    expect(headers.queues.map((x) => x.queue).sort()).toEqual([q(0), q(2), q(9)]);
    expect(headers.queues.find((x) => x.queue === q(0))?.path[0]?.binding?.arguments).toEqual({ 'x-match': 'all-with-x', 'x-tag': 'z', kind: 'x' });
  });

  test('an internal exchange: the preview says a publish is refused, and it is', async () => {
    const p = await preview(n('int'), 'any');
    expect(p.refused).toBe(`ACCESS_REFUSED - cannot publish to internal exchange '${n('int')}' in vhost '/'`);
    expect(p.queues).toEqual([]);
    expect(p.unroutable).toBe(true);
    // Reached through an e2e binding it routes as usual.
    expect((await preview(n('t'), 'int.x')).queues.map((x) => x.queue)).toEqual([q(9)]);
    const other = await channel(conn);
    await expectChannelClose(other, () => other.publish(n('int'), 'any', Buffer.from('x')), 403, p.refused as string);
  });

  test('x-delayed-message: a message with x-delay is held, then routed the way the preview shows', async () => {
    const p = await preview(n('dl'), 'a.z', { 'x-delay': 5000 });
    expect(p.held_ms).toBe(5000);
    expect(p.queues.map((x) => x.queue)).toEqual([q(1)]);
    expect((await preview(n('dl'), 'a.z')).held_ms).toBeUndefined();
  });
});

describe('errors', () => {
  test('bad bodies are 400 with a reason', async () => {
    const cases: [unknown, string][] = [
      [{ exchange: 'amq.direct', routing_key: 'k' }, '[{key_missing,vhost}]'],
      [{ vhost: '/', routing_key: 'k' }, '[{key_missing,exchange}]'],
      [{ vhost: '/', exchange: 'amq.direct' }, '[{key_missing,routing_key}]'],
      [{ vhost: '/', exchange: 'amq.direct', routing_key: 5 }, 'routing_key must be a string'],
      [{ vhost: 1, exchange: 'amq.direct', routing_key: 'k' }, 'vhost must be a string'],
      [{ vhost: '/', exchange: 'amq.direct', routing_key: 'k', headers: [1] }, 'headers must be a JSON object'],
      [{ vhost: '/', exchange: 'amq.direct', routing_key: 'k', headers: { CC: 'red' } }, "406 PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,\"CC\",longstr}"],
    ];
    for (const [body, reason] of cases) {
      expect(await call('POST', '/leveret/route', body)).toEqual({ status: 400, json: { error: 'bad_request', reason } });
    }
  });

  test('an unknown vhost or exchange is 404', async () => {
    expect(await call('POST', '/leveret/route', { vhost: 'no-such', exchange: 'amq.direct', routing_key: 'k' })).toEqual({
      status: 404,
      json: { error: 'not_found', reason: "no vhost 'no-such'" },
    });
    expect(await call('POST', '/leveret/route', { vhost: '/', exchange: 'nope', routing_key: 'k' })).toEqual({
      status: 404,
      json: { error: 'not_found', reason: "NOT_FOUND - no exchange 'nope' in vhost '/'" },
    });
    expect((await call('GET', '/leveret/topology/no-such')).status).toBe(404);
  });

  test('without write permission on the exchange it is refused, as a publish is', async () => {
    const user = uniqueName('route-user');
    expect((await call('PUT', `/users/${user}`, { password: 'pw', tags: 'management' })).status).toBe(201);
    const auth = `Basic ${Buffer.from(`${user}:pw`).toString('base64')}`;
    const body = { vhost: '/', exchange: 'amq.direct', routing_key: 'k' };
    expect(await call('POST', '/leveret/route', body, auth)).toEqual({ status: 401, json: { error: 'not_authorised', reason: 'User not authorised to access virtual host' } });
    expect((await call('PUT', `/permissions/%2F/${user}`, { configure: '', write: '^amq\\.fanout$', read: '' })).status).toBe(201);
    expect(await call('POST', '/leveret/route', body, auth)).toEqual({ status: 401, json: { error: 'not_authorised', reason: 'Access refused.' } });
    expect((await call('POST', '/leveret/route', { ...body, exchange: 'amq.fanout' }, auth)).status).toBe(200);
    expect((await call('GET', '/leveret/topology/%2F', undefined, auth)).status).toBe(200);
    await call('DELETE', `/users/${user}`);
  });
});

describe('topology', () => {
  test('exchanges, queues and bindings of a vhost', async () => {
    const { status, json } = await call('GET', '/leveret/topology/%2F');
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(['bindings', 'exchanges', 'queues', 'vhost']);
    expect(json.exchanges.find((x: { name: string }) => x.name === '')).toBeUndefined();
    expect(json.exchanges.find((x: { name: string }) => x.name === n('with-ae'))).toEqual({
      name: n('with-ae'),
      type: 'direct',
      durable: true,
      auto_delete: false,
      internal: false,
      alternate_exchange: n('ae'),
      bindings_out: 1,
    });
    expect(json.exchanges.find((x: { name: string }) => x.name === n('int'))?.internal).toBe(true);
    expect(json.queues.find((x: { name: string }) => x.name === q(0))).toEqual({
      name: q(0),
      durable: true,
      auto_delete: false,
      exclusive: true,
      messages: 0,
      consumers: 0,
    });
    expect(json.bindings).toContainEqual({ source: n('t'), destination: n('d'), destination_type: 'exchange', routing_key: 'red', arguments: {} });
    expect(json.bindings).toContainEqual({
      source: n('h'),
      destination: q(7),
      destination_type: 'queue',
      routing_key: '',
      arguments: { 'x-match': 'all', kind: 'x', n: 1 },
    });
    expect(json.bindings.filter((b: { source: string }) => b.source.startsWith(P))).toHaveLength(27);
  });
});
