/**
 * basic class, getting and consuming: basic.get, basic.consume and its deliveries, no-ack, consumer tags,
 * exclusive consumers, round-robin dispatch, consumer priorities, basic.cancel and server-initiated cancel.
 */
import { Reply } from './support/codes';
import { getNow, queueWith } from './support/basic';
import {
  channel,
  cleanup,
  connect,
  delay,
  expectChannelClose,
  expectConnectionClose,
  Inbox,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
} from './support/broker';

const broker = setupBroker();

describe('basic', () => {
  test('basic.get returns messages in FIFO order with get-ok fields, then get-empty (spec: basic.get, basic.get-ok, basic.get-empty)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['a', 'b', 'c']);
    const first = await getNow(ch, q, true);
    expect(first.content.toString()).toBe('a');
    expect(first.fields).toEqual({ deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 2 });
    const second = await getNow(ch, q, true);
    expect(second.fields).toEqual(expect.objectContaining({ deliveryTag: 2, messageCount: 1 }));
    expect((await getNow(ch, q, true)).content.toString()).toBe('c');
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
    const again = await getNow(ch, q, true);
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
});
