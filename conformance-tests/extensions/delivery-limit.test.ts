/**
 * Leveret extension: x-delivery-limit on classic queues, working as RabbitMQ's quorum queues do it
 * (consumers.test.ts checks those against RabbitMQ): redeliveries carry an x-delivery-count header (1 on the first
 * redelivery), and a message returned more times than the limit is dead-lettered with reason delivery_limit, or
 * dropped when the queue has no dead-letter exchange. RabbitMQ 3.10 refuses x-delivery-limit on a classic queue
 * ("invalid arg 'x-delivery-limit' ... of queue type rabbit_classic_queue"), so this is Leveret only (the
 * `extensions` jest project).
 */
import type * as amqp from 'amqplib';
import { channel, cleanup, delay, getOne, headersOf, Inbox, open, setupBroker, uniqueName, waitForReady, xDeath } from '../support/broker';

const broker = setupBroker();

describe('x-delivery-limit on a classic queue (Leveret extension)', () => {
  test('a classic queue accepts x-delivery-limit', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('dl'));
    expect(await ch.assertQueue(q, { durable: false, arguments: { 'x-delivery-limit': 3 } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('redeliveries carry x-delivery-count 1, 2, ...; the first delivery has none; other headers are kept', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-delivery-limit': 10 } });
    ch.sendToQueue(q.queue, Buffer.from('p'), { headers: { app: 'kept' } });
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, (m) => {
      inbox.onMessage(m);
      if (!m) return;
      if (inbox.messages.length < 3) consumerCh.nack(m, false, true);
      else consumerCh.ack(m);
    });
    await inbox.waitFor(3);
    expect(inbox.messages.map((m) => [m.fields.redelivered, headersOf(m)['x-delivery-count'], headersOf(m).app])).toEqual([
      [false, undefined, 'kept'],
      [true, 1, 'kept'],
      [true, 2, 'kept'],
    ]);
  });

  test('returned more often than the limit, a message is dead-lettered with reason delivery_limit', async () => {
    const { conn, ch } = await open(broker.url);
    const { queue: dlq } = await ch.assertQueue('', { exclusive: true });
    const q = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
    });
    ch.sendToQueue(q.queue, Buffer.from('poison'), { headers: { app: 'a' } });
    ch.sendToQueue(q.queue, Buffer.from('fine'));
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, (m) => {
      inbox.onMessage(m);
      if (!m) return;
      if (m.content.toString() === 'poison') consumerCh.reject(m, true);
      else consumerCh.ack(m);
    });
    const d = await getOne(ch, dlq);
    // limit 2: delivered three times, the third return dead-letters it
    expect(inbox.bodies().filter((b) => b === 'poison')).toHaveLength(3);
    expect(inbox.bodies()).toContain('fine');
    expect(d.content.toString()).toBe('poison');
    expect(headersOf(d).app).toBe('a');
    expect(xDeath(d)).toEqual([
      { count: 1, reason: 'delivery_limit', queue: q.queue, exchange: '', 'routing-keys': [q.queue], time: expect.objectContaining({ '!': 'timestamp' }) },
    ]);
    expect(headersOf(d)['x-first-death-reason']).toBe('delivery_limit');
    await delay(50);
    expect(inbox.bodies().filter((b) => b === 'poison')).toHaveLength(3);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('without a dead-letter exchange a message over the limit is dropped', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-delivery-limit': 1 } });
    ch.sendToQueue(q.queue, Buffer.from('poison'));
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, (m) => {
      inbox.onMessage(m);
      if (m) consumerCh.nack(m, false, true);
    });
    await inbox.waitFor(2);
    await delay(150);
    expect(inbox.bodies()).toEqual(['poison', 'poison']);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('x-delivery-limit 0: the first return drops the message', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-delivery-limit': 0 } });
    ch.sendToQueue(q.queue, Buffer.from('once'));
    await waitForReady(ch, q.queue, 1);
    const m = await ch.get(q.queue, { noAck: false });
    expect(m && m.content.toString()).toBe('once');
    if (m) ch.nack(m, false, true);
    await delay(50);
    expect(await ch.get(q.queue, { noAck: true })).toBe(false);
  });

  test('a delivery left unacked when its channel closes counts as a return', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-delivery-limit': 5 } });
    ch.sendToQueue(q.queue, Buffer.from('held'));
    const holder = await channel(conn);
    const inbox = new Inbox();
    await holder.consume(q.queue, inbox.onMessage, { noAck: false });
    await inbox.waitFor(1);
    await holder.close();
    const again = await channel(conn);
    const next = new Inbox();
    await again.consume(q.queue, next.onMessage, { noAck: false });
    const [m] = await next.waitFor(1);
    expect(m?.fields.redelivered).toBe(true);
    expect(headersOf(m as amqp.ConsumeMessage)['x-delivery-count']).toBe(1);
  });
});
