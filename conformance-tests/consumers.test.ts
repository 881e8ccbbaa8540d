/**
 * Consumer features RabbitMQ adds: single active consumer (x-single-active-consumer) with failover, consumer
 * priorities (the x-priority consumer argument), and x-delivery-limit on a quorum queue (the x-delivery-count
 * header, dead-lettering with reason delivery_limit). RabbitMQ 3.10 is the judge: every test here passes against it.
 *
 * Quorum queues must be durable; they are declared with a unique name and deleted after the test.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import {
  channel,
  cleanup,
  delay,
  drain,
  eventually,
  expectChannelClose,
  getOne,
  headersOf,
  Inbox,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
  xDeath,
} from './support/broker';

const broker = setupBroker();

describe('single active consumer (x-single-active-consumer)', () => {
  test('every message goes to the first consumer; both count as consumers (RabbitMQ: single active consumer)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('sac'));
    await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
    const first = new Inbox();
    const second = new Inbox();
    await (await channel(conn)).consume(q, first.onMessage, { noAck: true });
    await (await channel(conn)).consume(q, second.onMessage, { noAck: true });
    expect((await ch.checkQueue(q)).consumerCount).toBe(2);
    for (let i = 0; i < 6; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await first.waitFor(6);
    await delay(50);
    expect(first.bodies()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(second.bodies()).toEqual([]);
  });

  test('when the active consumer cancels, the next registered consumer takes over (RabbitMQ: single active consumer failover)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('sac'));
    await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
    const aCh = await channel(conn);
    const a = new Inbox();
    const b = new Inbox();
    const c = new Inbox();
    const { consumerTag: aTag } = await aCh.consume(q, a.onMessage, { noAck: true });
    const bCh = await channel(conn);
    const { consumerTag: bTag } = await bCh.consume(q, b.onMessage, { noAck: true });
    await (await channel(conn)).consume(q, c.onMessage, { noAck: true });
    ch.sendToQueue(q, Buffer.from('to-a'));
    await a.waitFor(1);
    await aCh.cancel(aTag);
    ch.sendToQueue(q, Buffer.from('to-b-1'));
    ch.sendToQueue(q, Buffer.from('to-b-2'));
    await b.waitFor(2);
    await bCh.cancel(bTag);
    ch.sendToQueue(q, Buffer.from('to-c'));
    await c.waitFor(1);
    await delay(50);
    expect(a.bodies()).toEqual(['to-a']);
    expect(b.bodies()).toEqual(['to-b-1', 'to-b-2']);
    expect(c.bodies()).toEqual(['to-c']);
  });

  test('when the active consumer\'s channel closes, its unacked messages go to the next consumer first, marked redelivered', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('sac'));
    await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
    const activeCh = await channel(conn);
    await activeCh.prefetch(1);
    const active = new Inbox();
    await activeCh.consume(q, active.onMessage, { noAck: false });
    const standbyCh = await channel(conn);
    const standby = new Inbox();
    await standbyCh.consume(q, (m) => {
      standby.onMessage(m);
      if (m) standbyCh.ack(m);
    });
    for (const b of ['n0', 'n1', 'n2']) ch.sendToQueue(q, Buffer.from(b));
    await active.waitFor(1);
    await delay(50);
    // the active consumer holds n0 at prefetch 1; the standby gets nothing meanwhile
    expect(active.bodies()).toEqual(['n0']);
    expect(standby.bodies()).toEqual([]);
    await activeCh.close();
    await standby.waitFor(3);
    expect(standby.messages.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
      ['n0', true],
      ['n1', false],
      ['n2', false],
    ]);
  });

  test('an exclusive consume on a single-active-consumer queue that has consumers is refused with 403 (RabbitMQ: exclusive consumers)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('sac'));
    await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
    await ch.consume(q, () => undefined, { noAck: true });
    const other = await channel(conn);
    await expectChannelClose(
      other,
      () => other.consume(q, () => undefined, { exclusive: true }),
      Reply.ACCESS_REFUSED,
      `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`,
    );
  });
});

describe('consumer priorities (x-priority)', () => {
  test('the higher-priority consumer gets messages while it has prefetch room; the lower one gets the rest (RabbitMQ: consumer priorities)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const loCh = await channel(conn);
    const hiCh = await channel(conn);
    await loCh.prefetch(10);
    await hiCh.prefetch(2);
    const lo = new Inbox();
    const hi = new Inbox();
    await loCh.consume(q.queue, lo.onMessage, { arguments: { 'x-priority': 1 } });
    await hiCh.consume(q.queue, hi.onMessage, { arguments: { 'x-priority': 10 } });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q.queue, Buffer.from(`c${i}`));
    await hi.waitFor(2);
    await lo.waitFor(3);
    expect(hi.bodies()).toEqual(['c0', 'c1']);
    expect(lo.bodies()).toEqual(['c2', 'c3', 'c4']);
    // room again at the high-priority consumer: it is preferred again
    for (const m of hi.messages) hiCh.ack(m);
    await delay(50);
    ch.sendToQueue(q.queue, Buffer.from('c5'));
    await hi.waitFor(3);
    expect(hi.bodies()[2]).toBe('c5');
    expect(lo.bodies()).toHaveLength(3);
  });

  test('a negative x-priority ranks below the default 0 (RabbitMQ: consumer priorities)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const low = new Inbox();
    const normal = new Inbox();
    await (await channel(conn)).consume(q.queue, low.onMessage, { noAck: true, arguments: { 'x-priority': -5 } });
    await (await channel(conn)).consume(q.queue, normal.onMessage, { noAck: true });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q.queue, Buffer.from(`m${i}`));
    await normal.waitFor(4);
    await delay(50);
    expect(normal.bodies()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(low.bodies()).toEqual([]);
  });

  test('consumers of equal priority share messages round-robin (RabbitMQ: consumer priorities)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const a = new Inbox();
    const b = new Inbox();
    await (await channel(conn)).consume(q.queue, a.onMessage, { noAck: true, arguments: { 'x-priority': 3 } });
    await (await channel(conn)).consume(q.queue, b.onMessage, { noAck: true, arguments: { 'x-priority': 3 } });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q.queue, Buffer.from(`m${i}`));
    await a.waitFor(2);
    await b.waitFor(2);
    expect(a.bodies()).toEqual(['m0', 'm2']);
    expect(b.bodies()).toEqual(['m1', 'm3']);
  });

  test('basic.consume with a non-integer x-priority closes the channel with 406 (RabbitMQ: consumer argument validation)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await expectChannelClose(
      ch,
      () => ch.consume(q.queue, () => undefined, { arguments: { 'x-priority': 'abc' } }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q.queue}' in vhost '/': "expected integer, got longstr"`,
    );
  });

  test('basic.consume with a fractional x-priority closes the channel with 406 "expected integer, got double"', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await expectChannelClose(
      ch,
      () => ch.consume(q.queue, () => undefined, { arguments: { 'x-priority': 1.5 } }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid arg 'x-priority' for queue '${q.queue}' in vhost '/': "expected integer, got double"`,
    );
  });
});

describe('x-delivery-limit (quorum queue)', () => {
  /** A durable quorum queue, deleted after the test. */
  async function quorumQueue(ch: amqp.Channel, args: Record<string, unknown>): Promise<string> {
    const q = cleanup.queue(uniqueName('qq'));
    await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum', ...args } });
    return q;
  }

  test('a quorum queue is declared durable with x-queue-type quorum and works like a queue (RabbitMQ: quorum queues)', async () => {
    const { ch } = await open(broker.url);
    const q = await quorumQueue(ch, {});
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    for (const b of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(b), { persistent: true });
    await waitForReady(ch, q, 3);
    expect(await drain(ch, q)).toEqual(['1', '2', '3']);
  });

  test('redeliveries carry x-delivery-count 1, 2, ...; the first delivery to a consumer has none (RabbitMQ: quorum queue delivery count)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await quorumQueue(ch, { 'x-delivery-limit': 10 });
    ch.sendToQueue(q, Buffer.from('p'), { headers: { app: 'kept' } });
    await waitForReady(ch, q, 1);
    const consumerCh = await channel(conn);
    const seen: Array<[boolean, unknown, unknown]> = [];
    await consumerCh.consume(q, (m) => {
      if (!m) return;
      seen.push([m.fields.redelivered, headersOf(m)['x-delivery-count'], headersOf(m).app]);
      if (seen.length < 3) consumerCh.nack(m, false, true);
      else consumerCh.ack(m);
    });
    await eventually(() => seen.length >= 3, 5000, 'three deliveries');
    expect(seen).toEqual([
      [false, undefined, 'kept'],
      [true, 1, 'kept'],
      [true, 2, 'kept'],
    ]);
  });

  test('returned more often than x-delivery-limit, a message is dead-lettered with reason delivery_limit (RabbitMQ: quorum queue poison messages)', async () => {
    const { conn, ch } = await open(broker.url);
    const { queue: dlq } = await ch.assertQueue('', { exclusive: true });
    const q = await quorumQueue(ch, { 'x-delivery-limit': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    ch.sendToQueue(q, Buffer.from('poison'), { headers: { app: 'a' } });
    await waitForReady(ch, q, 1);
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q, (m) => {
      inbox.onMessage(m);
      if (m) consumerCh.nack(m, false, true);
    });
    // limit 2: delivered three times, the third return dead-letters it
    await inbox.waitFor(3);
    const d = await getOne(ch, dlq);
    expect(inbox.messages.map((m) => headersOf(m)['x-delivery-count'])).toEqual([undefined, 1, 2]);
    expect(d.content.toString()).toBe('poison');
    expect(d.fields.routingKey).toBe(dlq);
    expect(headersOf(d).app).toBe('a');
    expect(xDeath(d)).toEqual([
      { count: 1, reason: 'delivery_limit', queue: q, exchange: '', 'routing-keys': [q], time: expect.objectContaining({ '!': 'timestamp' }) },
    ]);
    expect(headersOf(d)['x-first-death-reason']).toBe('delivery_limit');
    await delay(50);
    expect(inbox.messages).toHaveLength(3);
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  test('without a dead-letter exchange a message over x-delivery-limit is dropped (RabbitMQ: quorum queue poison messages)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await quorumQueue(ch, { 'x-delivery-limit': 1 });
    ch.sendToQueue(q, Buffer.from('poison'));
    ch.sendToQueue(q, Buffer.from('fine'));
    await waitForReady(ch, q, 2);
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q, (m) => {
      inbox.onMessage(m);
      if (!m) return;
      if (m.content.toString() === 'poison') consumerCh.reject(m, true);
      else consumerCh.ack(m);
    });
    await eventually(() => inbox.bodies().filter((b) => b === 'poison').length === 2, 5000, 'two deliveries of poison');
    await delay(100);
    expect(inbox.bodies().filter((b) => b === 'poison')).toHaveLength(2);
    expect(inbox.bodies()).toContain('fine');
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  test('a message left unacked when its channel closes counts as a delivery attempt (RabbitMQ: quorum queue delivery count)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await quorumQueue(ch, { 'x-delivery-limit': 5 });
    ch.sendToQueue(q, Buffer.from('held'));
    await waitForReady(ch, q, 1);
    const holder = await channel(conn);
    const inbox = new Inbox();
    await holder.consume(q, inbox.onMessage, { noAck: false });
    await inbox.waitFor(1);
    await holder.close();
    const again = await channel(conn);
    const next = new Inbox();
    await again.consume(q, next.onMessage, { noAck: false });
    const [m] = await next.waitFor(1);
    expect(m?.fields.redelivered).toBe(true);
    expect(headersOf(m as amqp.ConsumeMessage)['x-delivery-count']).toBe(1);
    again.ack(m as amqp.ConsumeMessage);
  });
});
