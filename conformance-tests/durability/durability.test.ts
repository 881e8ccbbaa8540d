/**
 * Durability: what survives a restart of the broker on the same data directory (DESIGN.md, Persistence).
 *
 * Leveret only: each test starts its own brokers as child processes (support/child-broker.ts) on a fresh temp
 * data directory, and stops them with SIGTERM or kill -9. AMQP_URL is never read; these tests cannot run against
 * a broker they cannot restart.
 *
 * What "durable" promises, and so what the tests wait for before a kill -9:
 *  - a persistent message is on disk once its publisher confirm arrived, or once tx.commit-ok arrived;
 *  - other writes (declarations, bindings, delivery marks, acks) are group-committed in order with the messages,
 *    so a confirm for a message published after them proves they are on disk too. `barrier()` does exactly that.
 *  A SIGTERM flushes everything, so no barrier is needed before one.
 */
import type * as amqp from 'amqplib';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Reply } from '../support/codes';
import {
  channel,
  closeAll,
  confirmChannel,
  connect,
  expectChannelClose,
  Inbox,
  parseClose,
  rpc,
  whenClosed,
  withTimeout,
  exchangeExists,
  queueExists,
} from '../support/broker';
import {
  killChildBrokers,
  makeDataDir,
  removeTempDirs,
  startChildBroker,
  startFailingBroker,
  type ChildBroker,
} from '../support/child-broker';

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

type Stop = 'SIGTERM' | 'kill -9';

const BARRIER_QUEUE = 'durability.barrier';

/**
 * Proves that every write the broker accepted before this call is on disk: group commit is in order, so the
 * confirm of a persistent message published now comes after the commit of everything before it.
 */
async function barrier(url: string): Promise<void> {
  const conn = await connect(url);
  const ch = await confirmChannel(conn);
  await ch.assertQueue(BARRIER_QUEUE, { durable: true });
  ch.sendToQueue(BARRIER_QUEUE, Buffer.from('barrier'), { persistent: true });
  await withTimeout(ch.waitForConfirms(), 5000, 'barrier confirm');
  await conn.close();
}

/** Stops the broker (SIGTERM: must exit 0) and starts a new one on the same data directory. */
async function restart(broker: ChildBroker, how: Stop): Promise<ChildBroker> {
  if (how === 'SIGTERM') {
    const code = await broker.stop('SIGTERM');
    expect(code).toBe(0);
  } else {
    await broker.kill9();
  }
  await closeAll();
  return startChildBroker({ dataDir: broker.dataDir });
}

/** A fresh channel per check, so a check that closes its channel does not disturb the next. */
async function freshChannel(conn: amqp.ChannelModel): Promise<amqp.Channel> {
  return channel(conn);
}

/** Publishes on a confirm channel and waits for the confirms. */
async function publishConfirmed(
  ch: amqp.ConfirmChannel,
  exchange: string,
  routingKey: string,
  bodies: Array<string | Buffer>,
  options: amqp.Options.Publish = {},
): Promise<void> {
  for (const b of bodies) ch.publish(exchange, routingKey, typeof b === 'string' ? Buffer.from(b) : b, options);
  await withTimeout(ch.waitForConfirms(), 10_000, 'publisher confirms');
}

/**
 * Everything in the queue, in queue order: as many messages as queue.declare-ok counts, consumed with no-ack, then
 * a basic.get to check nothing was left. (Not basic.get + ack per message: an ack followed at once by the next get
 * is two small writes in a row, which Nagle's algorithm on amqplib's socket holds for a delayed TCP ACK, ~40 ms.)
 */
async function takeAll(ch: amqp.Channel, queue: string): Promise<amqp.Message[]> {
  const { messageCount } = await ch.checkQueue(queue);
  const inbox = new Inbox();
  if (messageCount > 0) {
    const { consumerTag } = await ch.consume(queue, inbox.onMessage, { noAck: true });
    await inbox.waitFor(messageCount, 10_000);
    await ch.cancel(consumerTag);
  }
  const extra = await ch.get(queue, { noAck: true });
  if (extra !== false) throw new Error(`queue ${queue} held more than its message count said: ${extra.content.toString()}`);
  return inbox.messages;
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

// ---------------------------------------------------------------------------------------------------------------
// Entities

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

// ---------------------------------------------------------------------------------------------------------------
// Messages

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const BIG_BODY = Buffer.alloc(300 * 1024, 'abcdefghijklmnopqrstuvwxyz');

function fullProperties(i: number): amqp.Options.Publish {
  return {
    persistent: true,
    contentType: 'application/octet-stream',
    contentEncoding: 'identity',
    headers: {
      index: i,
      str: `header-${i}`,
      bool: true,
      float: 2.5,
      negative: -123456,
      table: { nested: { deeper: 'yes' }, n: 1 },
      list: [1, 'two', { three: 3 }],
    },
    priority: 3,
    correlationId: `corr-${i}`,
    replyTo: 'reply.queue',
    expiration: '86400000',
    messageId: `msg-${i}`,
    timestamp: 1_700_000_000 + i,
    type: 'test.type',
    userId: 'guest',
    appId: 'durability-test',
  };
}

function expectProperties(m: amqp.Message, i: number): void {
  const want = fullProperties(i);
  const p = m.properties;
  expect(p.deliveryMode).toBe(2);
  expect(p.contentType).toBe(want.contentType);
  expect(p.contentEncoding).toBe(want.contentEncoding);
  expect(p.headers).toEqual(want.headers);
  expect(p.priority).toBe(want.priority);
  expect(p.correlationId).toBe(want.correlationId);
  expect(p.replyTo).toBe(want.replyTo);
  expect(p.expiration).toBe(want.expiration);
  expect(p.messageId).toBe(want.messageId);
  expect(p.timestamp).toBe(want.timestamp);
  expect(p.type).toBe(want.type);
  expect(p.userId).toBe(want.userId);
  expect(p.appId).toBe(want.appId);
}

describe('messages', () => {
  test('persistent messages in a durable queue survive a SIGTERM restart in order, with exact bodies and properties; transient ones do not', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertQueue('dq', { durable: true });
    await ch.assertQueue('tq', { durable: false });
    const bodies: Buffer[] = [ALL_BYTES, Buffer.alloc(0), BIG_BODY, Buffer.from('plain text é ✓')];
    for (let i = 0; i < 20; i++) {
      const body = bodies[i % bodies.length] as Buffer;
      ch.sendToQueue('dq', body, fullProperties(i));
      // Transient messages interleaved with them, in the same durable queue: never written, gone after restart.
      ch.sendToQueue('dq', Buffer.from(`transient-${i}`), { persistent: false, messageId: `t-${i}` });
      // Persistent messages in a transient queue: gone with the queue.
      ch.sendToQueue('tq', Buffer.from(`in-transient-queue-${i}`), { persistent: true });
    }
    await withTimeout(ch.waitForConfirms(), 10_000, 'confirms');
    expect((await ch.checkQueue('dq')).messageCount).toBe(40);

    const second = await restart(first, 'SIGTERM');
    expect(await queueExists(second.url, 'tq')).toBe(false);
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    expect((await ch2.checkQueue('dq')).messageCount).toBe(20);
    const got = await takeAll(ch2, 'dq');
    expect(got.map((m) => m.properties.messageId)).toEqual(Array.from({ length: 20 }, (_, i) => `msg-${i}`));
    got.forEach((m, i) => {
      expect(m.content.equals(bodies[i % bodies.length] as Buffer)).toBe(true);
      expectProperties(m, i);
      expect(m.fields.redelivered).toBe(false);
    });
    expect(await second.stop()).toBe(0);
  });

  test('every confirmed persistent message survives kill -9, in order (confirm = on disk)', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertQueue('dq', { durable: true });
    const n = 500;
    await publishConfirmed(
      ch,
      '',
      'dq',
      Array.from({ length: n }, (_, i) => String(i)),
      { persistent: true },
    );
    // No barrier: the confirms themselves are the promise.
    const second = await restart(first, 'kill -9');
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    const got = await takeAll(ch2, 'dq');
    expect(got.map((m) => Number(m.content.toString()))).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(got.every((m) => !m.fields.redelivered)).toBe(true);
    expect(await second.stop()).toBe(0);
  });

  test('messages delivered but not acked come back with redelivered=true after kill -9; durably acked ones do not come back', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const pub = await confirmChannel(conn);
    await pub.assertQueue('dq', { durable: true });
    await publishConfirmed(pub, '', 'dq', ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'], { persistent: true });

    const consumerConn = await connect(first.url);
    const cch = await channel(consumerConn);
    await cch.prefetch(4);
    const inbox = new Inbox();
    await cch.consume('dq', inbox.onMessage, { noAck: false });
    const delivered = await inbox.waitFor(4);
    expect(delivered.map((m) => m.content.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
    // Cancel first, so the acks below do not make room for m4 and m5 to be delivered too. The four stay unacked.
    await cch.cancel(inbox.messages[0]?.fields.consumerTag as string);
    cch.ack(delivered[0] as amqp.ConsumeMessage);
    cch.ack(delivered[2] as amqp.ConsumeMessage);
    // A synchronous round trip on the consumer's channel: the acks before it have been handled...
    await cch.checkQueue('dq');
    // ...and a later confirm proves their batch (and the delivery marks) committed.
    await barrier(first.url);

    const second = await restart(first, 'kill -9');
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    const got = await takeAll(ch2, 'dq');
    expect(got.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['m1', true],
      ['m3', true],
      ['m4', false],
      ['m5', false],
    ]);
    expect(await second.stop()).toBe(0);
  });

  test('messages delivered but not acked come back with redelivered=true after a SIGTERM restart', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const pub = await confirmChannel(conn);
    await pub.assertQueue('dq', { durable: true });
    await publishConfirmed(pub, '', 'dq', ['a', 'b', 'c'], { persistent: true });
    const got1 = await pub.get('dq', { noAck: false });
    expect(got1 && got1.content.toString()).toBe('a');
    // Not acked when the broker stops.
    const second = await restart(first, 'SIGTERM');
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    const got = await takeAll(ch2, 'dq');
    expect(got.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
    expect(await second.stop()).toBe(0);
  });

  test("persistent messages whose tx.commit returned survive kill -9; uncommitted ones were never routed", async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await channel(conn);
    await ch.assertQueue('dq', { durable: true });
    await rpc(ch, 'TxSelect', {}, 'TxSelectOk');
    for (let i = 0; i < 50; i++) ch.sendToQueue('dq', Buffer.from(`c${i}`), { persistent: true });
    await rpc(ch, 'TxCommit', {}, 'TxCommitOk');
    for (let i = 0; i < 5; i++) ch.sendToQueue('dq', Buffer.from(`u${i}`), { persistent: true });
    // No barrier and no wait: commit-ok is the promise; the uncommitted publishes are not.
    const second = await restart(first, 'kill -9');
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    const got = await takeAll(ch2, 'dq');
    expect(got.map((m) => m.content.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    expect(await second.stop()).toBe(0);
  });

  test('a persistent message routed to 3 durable queues is in all three after kill -9; acking it in one leaves it in the others after another restart', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertExchange('fan', 'fanout', { durable: true });
    for (const q of ['f1', 'f2', 'f3']) {
      await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(q, 'fan', '');
    }
    await publishConfirmed(ch, 'fan', '', ['shared'], fullProperties(0));

    const second = await restart(first, 'kill -9');
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    for (const q of ['f1', 'f2', 'f3']) expect((await ch2.checkQueue(q)).messageCount).toBe(1);
    const m = await ch2.get('f2', { noAck: false });
    expect(m && m.content.toString()).toBe('shared');
    if (m) ch2.ack(m);
    await ch2.checkQueue('f2');

    const third = await restart(second, 'SIGTERM');
    const conn3 = await connect(third.url);
    const ch3 = await channel(conn3);
    expect((await ch3.checkQueue('f2')).messageCount).toBe(0);
    for (const q of ['f1', 'f3']) {
      const got = await takeAll(ch3, q);
      expect(got.map((x) => x.content.toString())).toEqual(['shared']);
      expectProperties(got[0] as amqp.Message, 0);
    }
    expect(await third.stop()).toBe(0);
  });

  test('a purged durable queue stays empty after kill -9', async () => {
    const first = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertQueue('dq', { durable: true });
    await publishConfirmed(ch, '', 'dq', ['a', 'b', 'c'], { persistent: true });
    expect((await ch.purgeQueue('dq')).messageCount).toBe(3);
    await publishConfirmed(ch, '', 'dq', ['after-purge'], { persistent: true });
    const second = await restart(first, 'kill -9');
    const conn2 = await connect(second.url);
    const got = await takeAll(await channel(conn2), 'dq');
    expect(got.map((m) => m.content.toString())).toEqual(['after-purge']);
    expect(await second.stop()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Shutdown, lock, corruption

describe('process', () => {
  test.each<NodeJS.Signals>(['SIGTERM', 'SIGINT'])(
    '%s: clients get connection.close 320 CONNECTION_FORCED, the broker exits 0 (RabbitMQ: shutdown)',
    async (signal) => {
      const broker = await startChildBroker({ dataDir: makeDataDir() });
      const conn = await connect(broker.url);
      const ch = await confirmChannel(conn);
      await ch.assertQueue('dq', { durable: true });
      await publishConfirmed(ch, '', 'dq', ['before-shutdown'], { persistent: true });
      const closed = whenClosed(conn, 10_000);
      const code = await broker.stop(signal);
      const err = await closed;
      expect(err).toBeDefined();
      const info = parseClose(err as Error);
      expect(info.code).toBe(Reply.CONNECTION_FORCED);
      expect(info.text).toBe("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
      expect(code).toBe(0);
      // Clean stop: nothing is lost.
      const again = await startChildBroker({ dataDir: broker.dataDir });
      const conn2 = await connect(again.url);
      expect((await (await channel(conn2)).checkQueue('dq')).messageCount).toBe(1);
      expect(await again.stop()).toBe(0);
    },
  );

  test('SIGTERM flushes: every persistent message the broker had enqueued and every ack it had handled is on disk, without confirms', async () => {
    const broker = await startChildBroker({ dataDir: makeDataDir() });
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    await ch.assertQueue('dq', { durable: true });
    const n = 2000;
    for (let i = 0; i < n; i++) ch.sendToQueue('dq', Buffer.from(String(i)), { persistent: true });
    // A round trip on the same channel: the publishes before it were handled (enqueued, maybe not yet written).
    expect((await ch.checkQueue('dq')).messageCount).toBe(n);
    const firstTen: amqp.GetMessage[] = [];
    for (let i = 0; i < 10; i++) {
      const m = await ch.get('dq', { noAck: false });
      if (m === false) throw new Error('queue unexpectedly empty');
      firstTen.push(m);
    }
    ch.ackAll();
    expect((await ch.checkQueue('dq')).messageCount).toBe(n - 10);
    const again = await restart(broker, 'SIGTERM');
    const conn2 = await connect(again.url);
    const got = await takeAll(await channel(conn2), 'dq');
    expect(got.map((m) => Number(m.content.toString()))).toEqual(Array.from({ length: n - 10 }, (_, i) => i + 10));
    expect(await again.stop()).toBe(0);
  });

  test('a second broker on the same data directory refuses to start and names the directory; once the first stops, a new one starts', async () => {
    const dataDir = makeDataDir();
    const first = await startChildBroker({ dataDir });
    const refused = await startFailingBroker({ dataDir });
    expect(refused.code).not.toBe(0);
    const output = refused.logs.join('\n');
    expect(output.includes(dataDir) || output.includes(realpathSync(dataDir))).toBe(true);
    // The first broker is unharmed.
    const conn = await connect(first.url);
    await (await channel(conn)).assertQueue('still-works', { durable: true });
    await conn.close();
    expect(await first.stop()).toBe(0);

    const next = await startChildBroker({ dataDir });
    const conn2 = await connect(next.url);
    await (await channel(conn2)).checkQueue('still-works');
    expect(await next.stop()).toBe(0);
  });

  test('the lock is released by kill -9: a new broker starts on the directory at once', async () => {
    const dataDir = makeDataDir();
    const first = await startChildBroker({ dataDir });
    await first.kill9();
    const next = await startChildBroker({ dataDir });
    expect(await next.stop()).toBe(0);
  });

  test('a leveret.db full of garbage: non-zero exit, a message naming the file, the file left untouched', async () => {
    const dataDir = makeDataDir();
    const file = join(dataDir, 'leveret.db');
    const garbage = Buffer.alloc(64 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(file, garbage);
    const failed = await startFailingBroker({ dataDir });
    expect(failed.code).not.toBe(0);
    expect(failed.logs.some((l) => l.includes(file) || l.includes(realpathSync(file)))).toBe(true);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  test('a real database whose pages were overwritten: non-zero exit naming the file, never a silent empty start', async () => {
    const dataDir = makeDataDir();
    const first = await startChildBroker({ dataDir });
    const conn = await connect(first.url);
    const ch = await confirmChannel(conn);
    await ch.assertQueue('dq', { durable: true });
    await publishConfirmed(ch, '', 'dq', ['x', 'y'], { persistent: true });
    expect(await first.stop()).toBe(0);

    const file = join(dataDir, 'leveret.db');
    for (const extra of ['-wal', '-shm']) if (existsSync(file + extra)) rmSync(file + extra);
    // Keep SQLite's 100-byte header, so the file still claims to be a database; garble everything after it.
    const size = readFileSync(file).length;
    const fd = openSync(file, 'r+');
    const junk = Buffer.alloc(Math.max(size - 100, 4096), 0xa5);
    writeSync(fd, junk, 0, junk.length, 100);
    closeSync(fd);
    const before = readFileSync(file);

    const failed = await startFailingBroker({ dataDir });
    expect(failed.code).not.toBe(0);
    expect(failed.logs.some((l) => l.includes(file) || l.includes(realpathSync(file)))).toBe(true);
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});
