/**
 * basic class: publish, get, consume, ack/nack/reject, recover, qos, returns, consumer tags and priorities,
 * server-initiated cancel, message properties, large and empty bodies.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import {
  channel,
  cleanup,
  connect,
  delay,
  drain,
  expectChannelClose,
  expectConnectionClose,
  Inbox,
  open,
  rpc,
  setupBroker,
  uniqueName,
  waitForReady,
} from './support/broker';

const broker = setupBroker();

async function queueWith(ch: amqp.Channel, bodies: string[]): Promise<string> {
  const q = await ch.assertQueue('', { exclusive: true });
  for (const b of bodies) ch.sendToQueue(q.queue, Buffer.from(b));
  await waitForReady(ch, q.queue, bodies.length);
  return q.queue;
}

async function getOne(ch: amqp.Channel, queue: string, noAck = false): Promise<amqp.GetMessage> {
  const m = await ch.get(queue, { noAck });
  if (m === false) throw new Error(`queue ${queue} unexpectedly empty`);
  return m;
}

describe('basic', () => {
  test('basic.get returns messages in FIFO order with get-ok fields, then get-empty (spec: basic.get, basic.get-ok, basic.get-empty)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['a', 'b', 'c']);
    const first = await getOne(ch, q, true);
    expect(first.content.toString()).toBe('a');
    expect(first.fields).toEqual({ deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 2 });
    const second = await getOne(ch, q, true);
    expect(second.fields).toEqual(expect.objectContaining({ deliveryTag: 2, messageCount: 1 }));
    expect((await getOne(ch, q, true)).content.toString()).toBe('c');
    expect(await ch.get(q, { noAck: true })).toBe(false);
  });

  test('basic.get on a missing queue closes the channel with 404 NOT_FOUND', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('noq');
    await expectChannelClose(ch, () => ch.get(q), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  test('basic.consume delivers with consumer tag, delivery tags 1..n, exchange and routing key (spec: basic.deliver)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'direct', { durable: false });
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, x, 'rk');
    const inbox = new Inbox();
    const { consumerTag } = await ch.consume(q.queue, inbox.onMessage);
    ch.publish(x, 'rk', Buffer.from('m1'));
    ch.publish(x, 'rk', Buffer.from('m2'));
    const [m1, m2] = await inbox.waitFor(2);
    expect(m1?.fields).toEqual({ consumerTag, deliveryTag: 1, redelivered: false, exchange: x, routingKey: 'rk' });
    expect(m2?.fields.deliveryTag).toBe(2);
    if (m1 && m2) {
      ch.ack(m1);
      ch.ack(m2);
    }
    await waitForReady(ch, q.queue, 0);
  });

  test('a consumed message that is acked is gone; unacked ones are requeued with redelivered=true when the channel closes (spec: basic.ack)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await queueWith(ch, ['keep', 'ack']);
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q, inbox.onMessage);
    const [keep, ack] = await inbox.waitFor(2);
    if (ack) consumerCh.ack(ack);
    void keep;
    await consumerCh.close();
    await waitForReady(ch, q, 1);
    const again = await getOne(ch, q, true);
    expect(again.content.toString()).toBe('keep');
    expect(again.fields.redelivered).toBe(true);
  });

  test('no-ack consumers get messages already settled: nothing is left or redelivered (spec: basic.consume no-ack)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3']);
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q, inbox.onMessage, { noAck: true });
    await inbox.waitFor(3);
    await consumerCh.close();
    await delay(30);
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('a mandatory unroutable message comes back as basic.return 312 NO_ROUTE with its body and properties (spec: basic.return)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'direct', { durable: false });
    const returned = new Promise<amqp.Message>((resolve) => ch.once('return', resolve));
    ch.publish(x, 'nobody', Buffer.from('bounce'), { mandatory: true, messageId: 'm-1', headers: { h: 'v' } });
    const r = await returned;
    expect(r.fields).toEqual({ replyCode: Reply.NO_ROUTE, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nobody' });
    expect(r.content.toString()).toBe('bounce');
    expect(r.properties.messageId).toBe('m-1');
    expect(r.properties.headers).toEqual({ h: 'v' });
  });

  test('a non-mandatory unroutable message is dropped silently (spec: basic.publish mandatory)', async () => {
    const { ch } = await open(broker.url);
    const returned: amqp.Message[] = [];
    ch.on('return', (m: amqp.Message) => returned.push(m));
    ch.publish('amq.direct', uniqueName('nobody'), Buffer.from('dropped'));
    const q = await ch.assertQueue('', { exclusive: true });
    await delay(50);
    expect(returned).toEqual([]);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('a mandatory message to the default exchange naming a missing queue is returned NO_ROUTE', async () => {
    const { ch } = await open(broker.url);
    const returned = new Promise<amqp.Message>((resolve) => ch.once('return', resolve));
    const q = uniqueName('noq');
    ch.sendToQueue(q, Buffer.from('x'), { mandatory: true });
    expect((await returned).fields).toEqual({ replyCode: Reply.NO_ROUTE, replyText: 'NO_ROUTE', exchange: '', routingKey: q });
  });

  test('server-generated consumer tags look like amq.ctag-... and are unique (RabbitMQ: consumer tags)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const tags = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { consumerTag } = await ch.consume(q.queue, () => undefined);
      expect(consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
      tags.add(consumerTag);
    }
    expect(tags.size).toBe(5);
    expect((await ch.checkQueue(q.queue)).consumerCount).toBe(5);
  });

  test('a client-chosen consumer tag is echoed back in consume-ok and deliveries (spec: basic.consume consumer-tag)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['x']);
    const inbox = new Inbox();
    const tag = uniqueName('ctag');
    expect(await ch.consume(q, inbox.onMessage, { consumerTag: tag, noAck: true })).toEqual({ consumerTag: tag });
    const [m] = await inbox.waitFor(1);
    expect(m?.fields.consumerTag).toBe(tag);
  });

  test('reusing a consumer tag on the same channel closes the connection with 530 NOT_ALLOWED (RabbitMQ: consumer tag reuse)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const tag = uniqueName('dup');
    await ch.consume(q.queue, () => undefined, { consumerTag: tag });
    await expectConnectionClose(
      conn,
      () => ch.consume(q.queue, () => undefined, { consumerTag: tag }),
      Reply.NOT_ALLOWED,
      `NOT_ALLOWED - attempt to reuse consumer tag '${tag}'`,
    );
  });

  test('the same consumer tag may be used on two different channels', async () => {
    const conn = await connect(broker.url);
    const ch1 = await channel(conn);
    const ch2 = await channel(conn);
    const q = await ch1.assertQueue('', { exclusive: true });
    const tag = uniqueName('shared');
    await ch1.consume(q.queue, () => undefined, { consumerTag: tag });
    await ch2.consume(q.queue, () => undefined, { consumerTag: tag });
    expect((await ch1.checkQueue(q.queue)).consumerCount).toBe(2);
  });

  test('an exclusive consumer locks out other consumers with 403 ACCESS_REFUSED (spec: basic.consume exclusive)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    await ch.consume(q, () => undefined, { exclusive: true });
    const ch2 = await channel(conn);
    await expectChannelClose(ch2, () => ch2.consume(q, () => undefined), Reply.ACCESS_REFUSED, `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`);
  });

  test('an exclusive consume on a queue that already has a consumer is refused with 403 ACCESS_REFUSED', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    await ch.consume(q, () => undefined);
    const ch2 = await channel(conn);
    await expectChannelClose(ch2, () => ch2.consume(q, () => undefined, { exclusive: true }), Reply.ACCESS_REFUSED, `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`);
  });

  test('basic.consume on a missing queue closes the channel with 404 NOT_FOUND', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('noq');
    await expectChannelClose(ch, () => ch.consume(q, () => undefined), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  test('basic.nack with requeue puts the message back at its position with redelivered=true (RabbitMQ: requeue keeps position)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['a', 'b', 'c']);
    const a = await getOne(ch, q);
    ch.nack(a, false, true);
    await waitForReady(ch, q, 3);
    const again = await getOne(ch, q, true);
    expect(again.content.toString()).toBe('a');
    expect(again.fields.redelivered).toBe(true);
    const rest = await getOne(ch, q, true);
    expect(rest.content.toString()).toBe('b');
    expect(rest.fields.redelivered).toBe(false);
  });

  test('basic.reject with requeue redelivers with redelivered=true; without requeue drops the message (spec: basic.reject)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['r1', 'r2']);
    const r1 = await getOne(ch, q);
    ch.reject(r1, true);
    await waitForReady(ch, q, 2);
    const r1again = await getOne(ch, q);
    expect(r1again.content.toString()).toBe('r1');
    expect(r1again.fields.redelivered).toBe(true);
    ch.reject(r1again, false);
    const r2 = await getOne(ch, q);
    ch.reject(r2, false);
    await delay(30);
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('basic.nack multiple requeues every unacked message up to the tag, keeping their order', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3', '4']);
    await getOne(ch, q);
    await getOne(ch, q);
    const third = await getOne(ch, q);
    ch.nack(third, true, true);
    await waitForReady(ch, q, 4);
    expect(await drain(ch, q)).toEqual(['1', '2', '3', '4']);
  });

  test('basic.ack multiple acks every unacked message up to and including the tag (spec: basic.ack multiple)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3', '4']);
    const getter = await channel(conn);
    await getOne(getter, q);
    await getOne(getter, q);
    const third = await getOne(getter, q);
    await getOne(getter, q);
    getter.ack(third, true);
    await getter.close();
    // only the 4th was unacked: it comes back
    await waitForReady(ch, q, 1);
    expect(await drain(ch, q)).toEqual(['4']);
  });

  test('basic.ack with delivery tag 0 and multiple acks everything outstanding (spec: basic.ack multiple, tag 0)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3']);
    const getter = await channel(conn);
    for (let i = 0; i < 3; i++) await getOne(getter, q);
    getter.ackAll();
    await getter.close();
    await delay(30);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  test('acking an unknown delivery tag closes the channel with 406 PRECONDITION_FAILED "unknown delivery tag N" (RabbitMQ: basic.ack)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(
      ch,
      () => ch.ack({ fields: { deliveryTag: 5 } } as amqp.Message),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - unknown delivery tag 5',
    );
  });

  test('acking the same delivery tag twice closes the channel with 406 unknown delivery tag', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['once']);
    const m = await getOne(ch, q);
    ch.ack(m);
    await expectChannelClose(ch, () => ch.ack(m), Reply.PRECONDITION_FAILED, `PRECONDITION_FAILED - unknown delivery tag ${m.fields.deliveryTag}`);
  });

  test('acking delivery tag 0 without multiple closes the channel with 406 unknown delivery tag 0', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(ch, () => ch.ack({ fields: { deliveryTag: 0 } } as amqp.Message), Reply.PRECONDITION_FAILED, 'PRECONDITION_FAILED - unknown delivery tag 0');
  });

  test('rejecting an unknown delivery tag closes the channel with 406 unknown delivery tag', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(ch, () => ch.reject({ fields: { deliveryTag: 9 } } as amqp.Message, true), Reply.PRECONDITION_FAILED, 'PRECONDITION_FAILED - unknown delivery tag 9');
  });

  test('basic.recover requeue=true redelivers every unacked message with redelivered=true (spec: basic.recover)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage);
    ch.sendToQueue(q.queue, Buffer.from('x'));
    ch.sendToQueue(q.queue, Buffer.from('y'));
    await inbox.waitFor(2);
    await ch.recover();
    const all = await inbox.waitFor(4);
    expect(all.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['x', false],
      ['y', false],
      ['x', true],
      ['y', true],
    ]);
  });

  test('basic.qos prefetch_count limits unacked deliveries per consumer; acking releases more (spec: basic.qos, RabbitMQ per-consumer)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3', '4', '5']);
    await ch.prefetch(2);
    const inbox = new Inbox();
    await ch.consume(q, inbox.onMessage);
    await inbox.waitFor(2);
    await delay(60);
    expect(inbox.messages.length).toBe(2);
    const first = inbox.messages[0];
    if (first) ch.ack(first);
    await inbox.waitFor(3);
    await delay(60);
    expect(inbox.messages.length).toBe(3);
    ch.ackAll();
    await inbox.waitFor(5);
    expect(inbox.bodies()).toEqual(['1', '2', '3', '4', '5']);
  });

  test('basic.qos without global applies to each consumer created after it separately (RabbitMQ: per_consumer_qos)', async () => {
    const { ch } = await open(broker.url);
    const q1 = await queueWith(ch, ['a1', 'a2', 'a3']);
    const q2 = await queueWith(ch, ['b1', 'b2', 'b3']);
    await ch.prefetch(1);
    const in1 = new Inbox();
    const in2 = new Inbox();
    await ch.consume(q1, in1.onMessage);
    await ch.consume(q2, in2.onMessage);
    await in1.waitFor(1);
    await in2.waitFor(1);
    await delay(60);
    expect([in1.messages.length, in2.messages.length]).toEqual([1, 1]);
  });

  test('basic.qos global=true limits unacked deliveries across all consumers of the channel (RabbitMQ: global qos is per channel)', async () => {
    const { ch } = await open(broker.url);
    const q1 = await queueWith(ch, ['a1', 'a2', 'a3']);
    const q2 = await queueWith(ch, ['b1', 'b2', 'b3']);
    await ch.prefetch(3, true);
    const in1 = new Inbox();
    const in2 = new Inbox();
    await ch.consume(q1, in1.onMessage);
    await ch.consume(q2, in2.onMessage);
    await delay(100);
    expect(in1.messages.length + in2.messages.length).toBe(3);
    ch.ackAll();
    await delay(100);
    expect(in1.messages.length + in2.messages.length).toBe(6);
  });

  test('basic.qos prefetch_count 0 means unlimited', async () => {
    const { ch } = await open(broker.url);
    const bodies = Array.from({ length: 20 }, (_, i) => String(i));
    const q = await queueWith(ch, bodies);
    await ch.prefetch(0);
    const inbox = new Inbox();
    await ch.consume(q, inbox.onMessage);
    await inbox.waitFor(20);
    expect(inbox.bodies()).toEqual(bodies);
  });

  test('two consumers on one queue get messages round-robin (RabbitMQ: round-robin dispatch)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const chA = await channel(conn);
    const chB = await channel(conn);
    const a = new Inbox();
    const b = new Inbox();
    await chA.consume(q.queue, a.onMessage, { noAck: true });
    await chB.consume(q.queue, b.onMessage, { noAck: true });
    for (let i = 0; i < 6; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await a.waitFor(3);
    await b.waitFor(3);
    const sets = [a.bodies(), b.bodies()].sort((x, y) => Number(x[0]) - Number(y[0]));
    expect(sets).toEqual([
      ['0', '2', '4'],
      ['1', '3', '5'],
    ]);
  });

  test('a consumer with higher x-priority gets messages while it has capacity (RabbitMQ: consumer priorities)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const lowCh = await channel(conn);
    const highCh = await channel(conn);
    await lowCh.prefetch(10);
    await highCh.prefetch(3);
    const low = new Inbox();
    const high = new Inbox();
    await lowCh.consume(q.queue, low.onMessage, { priority: 0 });
    await highCh.consume(q.queue, high.onMessage, { priority: 10 });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await high.waitFor(3);
    await low.waitFor(2);
    expect(high.bodies()).toEqual(['0', '1', '2']);
    expect(low.bodies()).toEqual(['3', '4']);
  });

  test('basic.cancel stops deliveries; cancel-ok echoes the tag; cancelling an unknown tag still replies cancel-ok (spec: basic.cancel)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const inbox = new Inbox();
    const { consumerTag } = await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    expect(await ch.cancel(consumerTag)).toEqual({ consumerTag });
    ch.sendToQueue(q.queue, Buffer.from('after'));
    await waitForReady(ch, q.queue, 1);
    expect(inbox.messages).toEqual([]);
    const unknown = uniqueName('unknown-tag');
    expect(await ch.cancel(unknown)).toEqual({ consumerTag: unknown });
  });

  test('deleting a queue sends basic.cancel to its consumers (RabbitMQ: consumer_cancel_notify)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('q'));
    await ch.assertQueue(q, { durable: false });
    const inbox = new Inbox();
    await ch.consume(q, inbox.onMessage);
    const other = await channel(conn);
    await other.deleteQueue(q);
    await inbox.waitForCancel();
    // the channel survives the cancel
    await ch.assertQueue('', { exclusive: true });
  });

  test('message properties and header values round-trip unchanged (spec: basic content properties)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const headers = {
      str: 'text',
      int: 42,
      neg: -7,
      big: 2 ** 40,
      float: 1.5,
      yes: true,
      no: false,
      nested: { a: 'b', n: 1 },
      list: ['x', 1, true],
      bytes: Buffer.from([0, 1, 2, 255]),
    };
    ch.sendToQueue(q.queue, Buffer.from('{"k":1}'), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-1',
      replyTo: 'reply.queue',
      expiration: '60000',
      messageId: 'msg-1',
      timestamp: 1700000000,
      type: 'test.type',
      userId: 'guest',
      appId: 'conformance',
    });
    await waitForReady(ch, q.queue, 1);
    const m = await getOne(ch, q.queue, true);
    expect(m.content.toString()).toBe('{"k":1}');
    expect(m.properties).toEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-1',
      replyTo: 'reply.queue',
      expiration: '60000',
      messageId: 'msg-1',
      timestamp: 1700000000,
      type: 'test.type',
      userId: 'guest',
      appId: 'conformance',
      clusterId: undefined,
    });
  });

  test('a message with no properties arrives with every property absent (amqplib always sends an empty headers table)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['bare']);
    const m = await getOne(ch, q, true);
    const { headers, ...rest } = m.properties;
    expect(headers).toEqual({});
    expect(Object.values(rest).filter((v) => v !== undefined)).toEqual([]);
  });

  test('a user_id property that is not the authenticated user closes the channel with 406 (RabbitMQ: validated user-id)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(
      ch,
      () => ch.sendToQueue(uniqueName('q'), Buffer.from('x'), { userId: 'mallory' }),
      Reply.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'",
    );
  });

  test('a 1 MiB body spanning many frames arrives intact, by get and by consume (spec: content body frames)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    ch.sendToQueue(q.queue, body);
    ch.sendToQueue(q.queue, body);
    await waitForReady(ch, q.queue, 2);
    const got = await getOne(ch, q.queue, true);
    expect(got.content.length).toBe(body.length);
    expect(got.content.equals(body)).toBe(true);
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    const [m] = await inbox.waitFor(1);
    expect(m?.content.equals(body)).toBe(true);
  });

  test('an empty body is delivered as an empty body (spec: content with body-size 0)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.alloc(0), { messageId: 'empty' });
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    const [m] = await inbox.waitFor(1);
    expect(m?.content.length).toBe(0);
    expect(m?.properties.messageId).toBe('empty');
  });

  test('many messages published in a burst arrive complete and in order', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    const n = 2000;
    for (let i = 0; i < n; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await inbox.waitFor(n, 10000);
    expect(inbox.bodies()).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  test('basic.qos with a non-zero prefetch_size is refused with 540 NOT_IMPLEMENTED (RabbitMQ: prefetch_size unsupported)', async () => {
    const { conn, ch } = await open(broker.url);
    await expectConnectionClose(
      conn,
      () => rpc(ch, 'BasicQos', { prefetchSize: 1000, prefetchCount: 0, global: false }, 'BasicQosOk'),
      Reply.NOT_IMPLEMENTED,
      'NOT_IMPLEMENTED - prefetch_size!=0 (1000)',
    );
  });
});
