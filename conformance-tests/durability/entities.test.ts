/**
 * Durability of entities: durable exchanges, queues (with arguments) and bindings come back after a restart of the
 * broker on the same data directory (DESIGN.md, Persistence); transient, exclusive and deleted ones do not.
 *
 * Leveret only: each test starts its own brokers as child processes (support/child-broker.ts) on a fresh temp
 * data directory, and stops them with SIGTERM or kill -9. AMQP_URL is never read; these tests cannot run against
 * a broker they cannot restart. What the tests wait for before a kill -9 is in support/durability.ts.
 */
import type * as amqp from 'amqplib';
import { Reply } from '../support/codes';
import {
  channel,
  closeAll,
  confirmChannel,
  connect,
  expectChannelClose,
  exchangeExists,
  queueExists,
} from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker } from '../support/child-broker';
import { barrier, publishConfirmed, restart, type Stop } from '../support/durability';

// Every test starts two or three brokers; a cold start compiles the sources.
jest.setTimeout(60_000);

afterEach(async () => {
  await closeAll();
  await killChildBrokers();
});

afterAll(async () => {
  await closeAll();
  await killChildBrokers();
  removeTempDirs();
});

/** A fresh channel per check, so a check that closes its channel does not disturb the next. */
async function freshChannel(conn: amqp.ChannelModel): Promise<amqp.Channel> {
  return channel(conn);
}

/** Publishes (transient) and takes one message from `queue`: its body, or undefined if nothing was routed there. */
async function routedBody(
  ch: amqp.ConfirmChannel,
  exchange: string,
  routingKey: string,
  queue: string,
  options: amqp.Options.Publish = {},
): Promise<string | undefined> {
  const body = `probe-${Math.random().toString(36).slice(2)}`;
  await publishConfirmed(ch, exchange, routingKey, [body], options);
  const m = await ch.get(queue, { noAck: true });
  if (m === false) return undefined;
  // Anything else in the queue would be a leftover from an earlier probe: a routing bug, so say so.
  const rest = await ch.get(queue, { noAck: true });
  if (rest !== false) throw new Error(`queue ${queue} held more than the probe: ${rest.content.toString()}`);
  return m.content.toString();
}

/** One value of every AMQP field type amqplib can write, nested, for arguments that only need to round-trip. */
const ODD_ARGS = {
  'x-string': 'hello',
  'x-int': 42,
  'x-negative': -7,
  'x-float': 1.5,
  'x-bool': true,
  'x-false': false,
  'x-table': { a: 1, b: 'two', c: { deep: true } },
  'x-array': [1, 'a', false],
};

const E = {
  direct: 'dur.direct',
  fanout: 'dur.fanout',
  topic: 'dur.topic.autodelete',
  headers: 'dur.headers',
  withAe: 'dur.with-ae',
  ae: 'dur.ae',
  source: 'dur.e2e.source',
  internal: 'dur.internal',
  transient: 'transient.exchange',
};
const Q = {
  args: 'dur.q.args',
  direct: 'dur.q.direct',
  fanout: 'dur.q.fanout',
  topic: 'dur.q.topic',
  headers: 'dur.q.headers',
  ae: 'dur.q.ae',
  e2e: 'dur.q.e2e',
  transient: 'transient.queue',
  exclusive: 'dur.q.exclusive',
  transientOnDurable: 'transient.queue.bound',
};
const QUEUE_ARGS = {
  'x-message-ttl': 60_000,
  'x-max-length': 1000,
  'x-dead-letter-exchange': 'dur.dlx',
  'x-custom-string': 'value',
  'x-custom-bool': true,
  'x-custom-table': { nested: { level: 2 }, list: ['a', 1] },
};
const NESTED_BINDING_ARGS = { nested: { a: 1, b: ['x', true] }, flag: false, n: 3 };
const HEADERS_ALL = { 'x-match': 'all', 'h-str': 'v', 'h-int': 7 };
const HEADERS_ANY = { 'x-match': 'any', 'h-flag': true, 'h-other': 'o' };

/** Declares every entity type, durable and not, with arguments and bindings. Returns the exclusive queue's owner. */
async function declareEntities(url: string): Promise<amqp.ChannelModel> {
  const conn = await connect(url);
  const ch = await channel(conn);
  await ch.assertExchange(E.direct, 'direct', { durable: true, arguments: ODD_ARGS });
  await ch.assertExchange(E.fanout, 'fanout', { durable: true });
  await ch.assertExchange(E.topic, 'topic', { durable: true, autoDelete: true });
  await ch.assertExchange(E.headers, 'headers', { durable: true, arguments: { 'x-extra': 'h' } });
  await ch.assertExchange(E.ae, 'fanout', { durable: true });
  await ch.assertExchange(E.withAe, 'direct', { durable: true, alternateExchange: E.ae, arguments: { 'x-other': 1 } });
  await ch.assertExchange(E.source, 'direct', { durable: true });
  await ch.assertExchange(E.internal, 'fanout', { durable: true, internal: true });
  await ch.assertExchange(E.transient, 'fanout', { durable: false });

  await ch.assertQueue(Q.args, { durable: true, arguments: QUEUE_ARGS });
  for (const q of [Q.direct, Q.fanout, Q.topic, Q.headers, Q.ae, Q.e2e]) await ch.assertQueue(q, { durable: true });
  await ch.assertQueue(Q.transient, { durable: false });
  await ch.assertQueue(Q.transientOnDurable, { durable: false });

  await ch.bindQueue(Q.direct, E.direct, 'k1');
  await ch.bindQueue(Q.direct, E.direct, 'k2', NESTED_BINDING_ARGS);
  await ch.bindQueue(Q.transientOnDurable, E.direct, 'k1');
  await ch.bindQueue(Q.fanout, E.fanout, '');
  await ch.bindQueue(Q.topic, E.topic, 'a.*.c');
  await ch.bindQueue(Q.topic, E.topic, '#.z');
  await ch.bindQueue(Q.headers, E.headers, '', HEADERS_ALL);
  await ch.bindQueue(Q.headers, E.headers, '', HEADERS_ANY);
  await ch.bindQueue(Q.ae, E.ae, '');
  await ch.bindExchange(E.internal, E.source, 'e2e');
  await ch.bindQueue(Q.e2e, E.internal, '');
  // A durable exchange bound into a transient one: the binding cannot outlive its destination.
  await ch.bindExchange(E.transient, E.fanout, '');

  // Exclusive queues die with their connection, durable or not; keep the owner open across the restart.
  const owner = await connect(url);
  const ownerCh = await channel(owner);
  await ownerCh.assertQueue(Q.exclusive, { durable: true, exclusive: true });
  await conn.close();
  return owner;
}

/** Checks, over AMQP only, that every durable entity came back as declared and nothing else did. */
async function verifyEntities(url: string): Promise<void> {
  const conn = await connect(url);

  // Passive declares.
  const ch = await channel(conn);
  for (const e of [E.direct, E.fanout, E.topic, E.headers, E.ae, E.withAe, E.source, E.internal]) {
    await expect(ch.checkExchange(e)).resolves.toBeDefined();
  }
  for (const q of [Q.args, Q.direct, Q.fanout, Q.topic, Q.headers, Q.ae, Q.e2e]) {
    const ok = await ch.checkQueue(q);
    expect(ok.messageCount).toBe(0);
  }
  // Transient entities and exclusive queues are gone.
  expect(await exchangeExists(url, E.transient)).toBe(false);
  expect(await queueExists(url, Q.transient)).toBe(false);
  expect(await queueExists(url, Q.transientOnDurable)).toBe(false);
  expect(await queueExists(url, Q.exclusive)).toBe(false);

  // Equivalence: the same declaration is fine...
  await ch.assertExchange(E.direct, 'direct', { durable: true, arguments: ODD_ARGS });
  await ch.assertExchange(E.topic, 'topic', { durable: true, autoDelete: true });
  await ch.assertExchange(E.internal, 'fanout', { durable: true, internal: true });
  await ch.assertExchange(E.withAe, 'direct', { durable: true, alternateExchange: E.ae, arguments: { 'x-other': 1 } });
  await ch.assertQueue(Q.args, { durable: true, arguments: QUEUE_ARGS });

  // ...a different one is 406 PRECONDITION_FAILED, so the recovered flags and arguments are the declared ones.
  const inequivalent: Array<[string, (c: amqp.Channel) => Promise<unknown>, RegExp]> = [
    ['exchange type', (c) => c.assertExchange(E.direct, 'fanout', { durable: true }), /inequivalent arg 'type' for exchange 'dur\.direct'/],
    ['exchange type (headers)', (c) => c.assertExchange(E.headers, 'topic', { durable: true }), /inequivalent arg 'type'/],
    ['exchange durable', (c) => c.assertExchange(E.fanout, 'fanout', { durable: false }), /inequivalent arg 'durable'/],
    ['exchange auto_delete', (c) => c.assertExchange(E.topic, 'topic', { durable: true, autoDelete: false }), /inequivalent arg 'auto_delete'/],
    ['exchange internal', (c) => c.assertExchange(E.internal, 'fanout', { durable: true, internal: false }), /inequivalent arg 'internal'/],
    [
      'exchange alternate-exchange',
      (c) => c.assertExchange(E.withAe, 'direct', { durable: true, alternateExchange: 'elsewhere' }),
      /inequivalent arg 'alternate-exchange'/,
    ],
    ['queue durable', (c) => c.assertQueue(Q.direct, { durable: false }), /inequivalent arg 'durable' for queue 'dur\.q\.direct'/],
    [
      'queue x-message-ttl',
      (c) => c.assertQueue(Q.args, { durable: true, arguments: { ...QUEUE_ARGS, 'x-message-ttl': 1 } }),
      /inequivalent arg 'x-message-ttl' for queue 'dur\.q\.args' in vhost '\/': received '1' but current is '60000'/,
    ],
    [
      'queue x-max-length',
      (c) => c.assertQueue(Q.args, { durable: true, arguments: { ...QUEUE_ARGS, 'x-max-length': 5 } }),
      /inequivalent arg 'x-max-length'.*received '5' but current is '1000'/,
    ],
    [
      'queue x-dead-letter-exchange',
      (c) => c.assertQueue(Q.args, { durable: true, arguments: { ...QUEUE_ARGS, 'x-dead-letter-exchange': 'other' } }),
      /inequivalent arg 'x-dead-letter-exchange'.*received 'other' but current is 'dur\.dlx'/,
    ],
  ];
  for (const [what, declare, text] of inequivalent) {
    const c = await freshChannel(conn);
    try {
      await expectChannelClose(c, () => declare(c), Reply.PRECONDITION_FAILED, text);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  }

  // Routing through the recovered bindings.
  const pub = await confirmChannel(conn);
  expect(await routedBody(pub, E.direct, 'k1', Q.direct)).toBeDefined();
  expect(await routedBody(pub, E.direct, 'k2', Q.direct)).toBeDefined();
  expect(await routedBody(pub, E.direct, 'k3', Q.direct)).toBeUndefined();
  expect(await routedBody(pub, E.fanout, 'anything', Q.fanout)).toBeDefined();
  expect(await routedBody(pub, E.topic, 'a.b.c', Q.topic)).toBeDefined();
  expect(await routedBody(pub, E.topic, 'x.y.z', Q.topic)).toBeDefined();
  expect(await routedBody(pub, E.topic, 'a.b.d', Q.topic)).toBeUndefined();
  expect(await routedBody(pub, E.headers, '', Q.headers, { headers: { 'h-str': 'v', 'h-int': 7 } })).toBeDefined();
  expect(await routedBody(pub, E.headers, '', Q.headers, { headers: { 'h-str': 'v' } })).toBeUndefined();
  expect(await routedBody(pub, E.headers, '', Q.headers, { headers: { 'h-flag': true } })).toBeDefined();
  expect(await routedBody(pub, E.headers, '', Q.headers, { headers: { 'h-flag': false } })).toBeUndefined();
  // The alternate exchange argument came back: an unroutable message goes there.
  expect(await routedBody(pub, E.withAe, 'no-binding', Q.ae)).toBeDefined();
  // Exchange-to-exchange binding through an internal exchange.
  expect(await routedBody(pub, E.source, 'e2e', Q.e2e)).toBeDefined();
  expect(await routedBody(pub, E.source, 'other', Q.e2e)).toBeUndefined();
  // internal survived: publishing to it directly is refused.
  const direct = await freshChannel(conn);
  await expectChannelClose(
    direct,
    () => direct.publish(E.internal, '', Buffer.from('x')),
    Reply.ACCESS_REFUSED,
    "ACCESS_REFUSED - cannot publish to internal exchange 'dur.internal' in vhost '/'",
  );

  // The binding's arguments came back exactly: unbinding with the same arguments (a binding's identity includes
  // them, values and types) removes it, and k2 stops routing.
  const unb = await freshChannel(conn);
  await unb.unbindQueue(Q.direct, E.direct, 'k2', NESTED_BINDING_ARGS);
  const pub2 = await confirmChannel(conn);
  expect(await routedBody(pub2, E.direct, 'k2', Q.direct)).toBeUndefined();
  expect(await routedBody(pub2, E.direct, 'k1', Q.direct)).toBeDefined();
  await conn.close();
}

describe.each<Stop>(['SIGTERM', 'kill -9'])('entities after a %s restart', (how) => {
  test(`durable exchanges of every type, queues with arguments and bindings come back; transient and exclusive ones do not (${how})`, async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    // declareEntities leaves the exclusive queue's owner connected; the restart is what ends it.
    await declareEntities(first.url);
    if (how === 'kill -9') await barrier(first.url);
    const second = await restart(first, how);
    await verifyEntities(second.url);
    expect(await second.stop()).toBe(0);
  });

  test(`entities recovered once survive a second ${how} restart unchanged`, async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    await declareEntities(first.url);
    if (how === 'kill -9') await barrier(first.url);
    const second = await restart(first, how);
    // Recovery itself must not rewrite (or lose) anything; nothing is declared on the second broker.
    const third = await restart(second, how);
    await verifyEntities(third.url);
    expect(await third.stop()).toBe(0);
  });

  test(`a deleted durable queue, exchange and binding stay deleted (${how})`, async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await channel(conn);
    await ch.assertExchange('gone.x', 'direct', { durable: true });
    await ch.assertExchange('kept.x', 'direct', { durable: true });
    await ch.assertQueue('gone.q', { durable: true });
    await ch.assertQueue('kept.q', { durable: true });
    await ch.bindQueue('kept.q', 'kept.x', 'stay');
    await ch.bindQueue('kept.q', 'kept.x', 'unbound');
    await ch.bindQueue('gone.q', 'kept.x', 'to-gone');
    await ch.unbindQueue('kept.q', 'kept.x', 'unbound');
    await ch.deleteQueue('gone.q');
    await ch.deleteExchange('gone.x');
    if (how === 'kill -9') await barrier(first.url);
    const second = await restart(first, how);

    expect(await exchangeExists(second.url, 'gone.x')).toBe(false);
    expect(await queueExists(second.url, 'gone.q')).toBe(false);
    const conn2 = await connect(second.url);
    const pub = await confirmChannel(conn2);
    expect(await routedBody(pub, 'kept.x', 'stay', 'kept.q')).toBeDefined();
    expect(await routedBody(pub, 'kept.x', 'unbound', 'kept.q')).toBeUndefined();
    expect(await second.stop()).toBe(0);
  });
});
