/**
 * Durability of messages: persistent messages, delivery state, transactions and purges across a SIGTERM restart
 * or a kill -9 of the broker on the same data directory (DESIGN.md, Persistence).
 *
 * Leveret only: each test starts its own brokers as child processes (support/child-broker.ts) on a fresh temp
 * data directory, and stops them with SIGTERM or kill -9. AMQP_URL is never read; these tests cannot run against
 * a broker they cannot restart. What the tests wait for before a kill -9 is in support/durability.ts.
 */
import type * as amqp from 'amqplib';
import { channel, closeAll, confirmChannel, connect, Inbox, rpc, withTimeout, queueExists } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs, startChildBroker } from '../support/child-broker';
import { barrier, publishConfirmed, restart, takeAll } from '../support/durability';

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
    // After an unclean stop every message may have been delivered, so all come back redelivered (RabbitMQ's dirty
    // recovery does the same).
    expect(got.every((m) => m.fields.redelivered)).toBe(true);
    expect(await second.stop()).toBe(0);
  });

  test('after kill -9, messages delivered but not acked come back, all redelivered=true (never-delivered ones too, as RabbitMQ); durably acked ones do not come back', async () => {
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
    // ...and a later confirm proves their batch committed.
    await barrier(first.url);

    const second = await restart(first, 'kill -9');
    const conn2 = await connect(second.url);
    const ch2 = await channel(conn2);
    const got = await takeAll(ch2, 'dq');
    expect(got.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['m1', true],
      ['m3', true],
      ['m4', true],
      ['m5', true],
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
