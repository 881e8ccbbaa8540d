/**
 * Dead-lettering: x-dead-letter-exchange, x-dead-letter-routing-key, the x-death header and x-first-death-*,
 * cycle detection. RabbitMQ 3.10 is the judge: every test here passes against it.
 *
 * Timing: TTLs are 30-300 ms; "has not arrived" is checked after the TTL with a basic.get or a message count,
 * "has arrived" with `eventually`/`waitForReady`, never with a long sleep.
 */
import type * as amqp from 'amqplib';
import {
  channel,
  cleanup,
  delay,
  drain,
  eventually,
  getOne,
  headersOf,
  Inbox,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
  xDeath,
  type XDeath,
} from './support/broker';
import { deadLetterSink } from './support/dead-letters';

const broker = setupBroker();

describe('dead-lettering', () => {
  test('x-dead-letter-exchange: a rejected message is republished with an x-death header, reason rejected (RabbitMQ: DLX)', async () => {
    const { ch } = await open(broker.url);
    const dlx = cleanup.exchange(uniqueName('dlx'));
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    const dead = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(dead.queue, dlx, '');
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx });
    ch.sendToQueue(work.queue, Buffer.from('bad'), { headers: { app: 'x' } });
    await waitForReady(ch, work.queue, 1);
    const m = await ch.get(work.queue);
    if (!m) throw new Error('no message');
    ch.reject(m, false);
    await waitForReady(ch, dead.queue, 1);
    const d = await ch.get(dead.queue, { noAck: true });
    if (!d) throw new Error('no dead letter');
    expect(d.content.toString()).toBe('bad');
    expect(d.fields.routingKey).toBe(work.queue);
    expect(d.fields.exchange).toBe(dlx);
    const headers = headersOf(d);
    expect(headers.app).toBe('x');
    const deaths = xDeath(d);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]).toEqual(
      expect.objectContaining({ count: 1, reason: 'rejected', queue: work.queue, exchange: '', 'routing-keys': [work.queue] }),
    );
    expect(headers['x-first-death-reason']).toBe('rejected');
    expect(headers['x-first-death-queue']).toBe(work.queue);
  });

  test('the x-death entry: count, reason, queue, exchange, routing-keys and time as an AMQP timestamp; x-first-death-* (RabbitMQ: DLX)', async () => {
    const { ch } = await open(broker.url);
    const { dlx, dlq } = await deadLetterSink(ch);
    const work = cleanup.queue(uniqueName('work'));
    await ch.assertQueue(work, { durable: false, deadLetterExchange: dlx });
    await ch.bindQueue(work, 'amq.direct', 'k1');
    ch.publish('amq.direct', 'k1', Buffer.from('m'), { messageId: 'id-1', timestamp: 1700000000, persistent: true, priority: 3 });
    await waitForReady(ch, work, 1);
    const before = Math.floor(Date.now() / 1000);
    const m = await ch.get(work);
    if (!m) throw new Error('no message');
    ch.reject(m, false);
    const d = await getOne(ch, dlq);
    const after = Math.ceil(Date.now() / 1000);
    // routed through the DLX with the original routing key; properties kept
    expect(d.fields).toEqual(expect.objectContaining({ exchange: dlx, routingKey: 'k1', redelivered: false }));
    expect(d.properties).toEqual(expect.objectContaining({ messageId: 'id-1', timestamp: 1700000000, deliveryMode: 2, priority: 3 }));
    const [death] = xDeath(d) as [XDeath];
    expect(Object.keys(death).sort()).toEqual(['count', 'exchange', 'queue', 'reason', 'routing-keys', 'time']);
    expect(death).toEqual(
      expect.objectContaining({ count: 1, reason: 'rejected', queue: work, exchange: 'amq.direct', 'routing-keys': ['k1'] }),
    );
    expect(death.time['!']).toBe('timestamp');
    expect(death.time.value).toBeGreaterThanOrEqual(before - 1);
    expect(death.time.value).toBeLessThanOrEqual(after + 1);
    const headers = headersOf(d);
    expect(headers['x-first-death-reason']).toBe('rejected');
    expect(headers['x-first-death-queue']).toBe(work);
    expect(headers['x-first-death-exchange']).toBe('amq.direct');
    // x-last-death-* came with RabbitMQ 3.13 (3.10 has none; Leveret sets them, see spec/errata.md): when present,
    // they name this death.
    const last = Object.keys(headers).filter((k) => k.startsWith('x-last-death'));
    if (last.length > 0) {
      expect({
        reason: headers['x-last-death-reason'],
        queue: headers['x-last-death-queue'],
        exchange: headers['x-last-death-exchange'],
      }).toEqual({ reason: 'rejected', queue: work, exchange: 'amq.direct' });
    }
  });

  test('without x-dead-letter-routing-key the original routing key is used; with it, that key (RabbitMQ: DLX routing)', async () => {
    const { ch } = await open(broker.url);
    const dlx = cleanup.exchange(uniqueName('dlx'));
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const byOriginal = await ch.assertQueue('', { exclusive: true });
    const byDlKey = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(byOriginal.queue, dlx, 'orig-key');
    await ch.bindQueue(byDlKey.queue, dlx, 'dl-key');
    const plain = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx, messageTtl: 30 });
    const keyed = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx, deadLetterRoutingKey: 'dl-key', messageTtl: 30 });
    await ch.bindQueue(plain.queue, 'amq.direct', 'orig-key');
    await ch.bindQueue(keyed.queue, 'amq.direct', 'orig-key');
    ch.publish('amq.direct', 'orig-key', Buffer.from('twice'));
    const a = await getOne(ch, byOriginal.queue);
    const b = await getOne(ch, byDlKey.queue);
    expect(a.fields.routingKey).toBe('orig-key');
    expect(xDeath(a)[0]).toEqual(expect.objectContaining({ queue: plain.queue, exchange: 'amq.direct', 'routing-keys': ['orig-key'] }));
    expect(b.fields.routingKey).toBe('dl-key');
    // x-death records the keys the message had when it died, i.e. the original ones
    expect(xDeath(b)[0]).toEqual(expect.objectContaining({ queue: keyed.queue, exchange: 'amq.direct', 'routing-keys': ['orig-key'] }));
    await delay(50);
    expect(await drain(ch, byOriginal.queue)).toEqual([]);
    expect(await drain(ch, byDlKey.queue)).toEqual([]);
  });

  test('basic.nack requeue=false dead-letters (multiple too); requeue=true does not (RabbitMQ: DLX reason rejected)', async () => {
    const { conn, ch } = await open(broker.url);
    const { dlx, dlq } = await deadLetterSink(ch);
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx });
    for (const b of ['n1', 'n2', 'n3']) ch.sendToQueue(work.queue, Buffer.from(b));
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(work.queue, inbox.onMessage, { noAck: false });
    const [, second, third] = (await inbox.waitFor(3)) as [amqp.ConsumeMessage, amqp.ConsumeMessage, amqp.ConsumeMessage];
    consumerCh.nack(second, true, false); // n1 and n2
    consumerCh.nack(third, false, true); // n3 comes back to the consumer
    await inbox.waitFor(4);
    expect(inbox.messages[3]?.content.toString()).toBe('n3');
    expect(inbox.messages[3]?.fields.redelivered).toBe(true);
    await waitForReady(ch, dlq, 2);
    const dead = [await getOne(ch, dlq), await getOne(ch, dlq)];
    expect(dead.map((d) => d.content.toString())).toEqual(['n1', 'n2']);
    for (const d of dead) expect(xDeath(d)[0]).toEqual(expect.objectContaining({ reason: 'rejected', count: 1, queue: work.queue }));
    consumerCh.ack(inbox.messages[3] as amqp.ConsumeMessage);
    await delay(50);
    expect(await drain(ch, dlq)).toEqual([]);
  });

  test('messages requeued by a channel close or removed by a purge are not dead-lettered (RabbitMQ: DLX triggers)', async () => {
    const { conn, ch } = await open(broker.url);
    const { dlx, dlq } = await deadLetterSink(ch);
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx });
    ch.sendToQueue(work.queue, Buffer.from('held'));
    ch.sendToQueue(work.queue, Buffer.from('purged'));
    await waitForReady(ch, work.queue, 2);
    const holder = await channel(conn);
    expect(await holder.get(work.queue, { noAck: false })).not.toBe(false);
    expect(await ch.purgeQueue(work.queue)).toEqual({ messageCount: 1 });
    await holder.close();
    await waitForReady(ch, work.queue, 1);
    expect(await drain(ch, work.queue)).toEqual(['held']);
    expect((await ch.checkQueue(dlq)).messageCount).toBe(0);
  });

  test('x-dead-letter-exchange naming a missing exchange: the dead letter is dropped (RabbitMQ: DLX)', async () => {
    const { ch } = await open(broker.url);
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: uniqueName('no-such-dlx') });
    ch.sendToQueue(work.queue, Buffer.from('lost'));
    const m = await getOneAcking(ch, work.queue);
    ch.reject(m, false);
    await delay(50);
    expect((await ch.checkQueue(work.queue)).messageCount).toBe(0);
  });

  test('dying twice in the same queue for the same reason increments count instead of adding an entry (RabbitMQ: x-death)', async () => {
    const { ch } = await open(broker.url);
    // a rejected message in `loop` comes straight back to `loop` through the default exchange
    const loop = cleanup.queue(uniqueName('loop'));
    await ch.assertQueue(loop, { durable: false, deadLetterExchange: '', deadLetterRoutingKey: loop });
    ch.sendToQueue(loop, Buffer.from('m'), { expiration: '60000' });
    await waitForReady(ch, loop, 1);
    ch.reject(await getOneAcking(ch, loop), false);
    const once = await getOneAcking(ch, loop);
    expect(xDeath(once)).toEqual([expect.objectContaining({ count: 1, reason: 'rejected', queue: loop })]);
    ch.nack(once, false, false);
    const twice = await getOneAcking(ch, loop);
    expect(twice.fields.redelivered).toBe(false);
    expect(twice.content.toString()).toBe('m');
    expect(xDeath(twice)).toEqual([
      {
        count: 2,
        reason: 'rejected',
        queue: loop,
        exchange: '',
        'routing-keys': [loop],
        time: expect.objectContaining({ '!': 'timestamp' }),
        'original-expiration': '60000',
      },
    ]);
    expect(twice.properties.expiration).toBeUndefined();
    expect(headersOf(twice)['x-first-death-reason']).toBe('rejected');
    expect(headersOf(twice)['x-first-death-queue']).toBe(loop);
    ch.ack(twice);
  });

  test('a message dead-lettered through two queues carries both deaths, newest first, each with the exchange it came through', async () => {
    const { ch } = await open(broker.url);
    const { dlx, dlq } = await deadLetterSink(ch);
    const hop = cleanup.exchange(uniqueName('hop'));
    await ch.assertExchange(hop, 'fanout', { durable: false });
    const second = cleanup.queue(uniqueName('second'));
    await ch.assertQueue(second, { durable: false, deadLetterExchange: dlx });
    await ch.bindQueue(second, hop, '');
    const first = cleanup.queue(uniqueName('first'));
    await ch.assertQueue(first, { durable: false, deadLetterExchange: hop, messageTtl: 30 });
    ch.sendToQueue(first, Buffer.from('chain'), { expiration: '1000' });
    const m = await eventually(async () => (await ch.get(second)) || undefined, 3000, 'the message in the second queue');
    ch.reject(m, false);
    const d = await getOne(ch, dlq);
    const deaths = xDeath(d);
    expect(deaths).toHaveLength(2);
    expect(deaths[0]).toEqual(
      expect.objectContaining({ count: 1, reason: 'rejected', queue: second, exchange: hop, 'routing-keys': [first] }),
    );
    // the queue's 30 ms TTL expired it; the message's own expiration is still recorded
    expect(deaths[1]).toEqual(
      expect.objectContaining({ count: 1, reason: 'expired', queue: first, exchange: '', 'routing-keys': [first], 'original-expiration': '1000' }),
    );
    expect(headersOf(d)['x-first-death-reason']).toBe('expired');
    expect(headersOf(d)['x-first-death-queue']).toBe(first);
  });

  test('routing-keys in x-death lists the publish key followed by the CC keys, never BCC; the CC header is kept (RabbitMQ: DLX with sender-selected distribution)', async () => {
    const { ch } = await open(broker.url);
    const { dlx, dlq } = await deadLetterSink(ch);
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx, messageTtl: 30 });
    await ch.bindQueue(work.queue, 'amq.direct', 'k1');
    await ch.bindQueue(work.queue, 'amq.direct', 'k2');
    ch.publish('amq.direct', 'k1', Buffer.from('cc'), { CC: ['k2', 'k3'], BCC: ['k4'] });
    const d = await getOne(ch, dlq);
    expect(d.fields.routingKey).toBe('k1');
    expect(headersOf(d).CC).toEqual(['k2', 'k3']);
    expect(headersOf(d)).not.toHaveProperty('BCC');
    expect(xDeath(d)).toEqual([expect.objectContaining({ reason: 'expired', exchange: 'amq.direct', 'routing-keys': ['k1', 'k2', 'k3'] })]);
    // one copy per queue, so one dead letter
    await delay(50);
    expect(await drain(ch, dlq)).toEqual([]);
  });

  test('cycle detection: a message expiring back into its own queue is dropped (RabbitMQ: dead-letter cycles)', async () => {
    const { ch } = await open(broker.url);
    // no dead-letter routing key: the original key, the queue's own name, routes it back through the default exchange
    const selfLoop = cleanup.queue(uniqueName('cycle'));
    await ch.assertQueue(selfLoop, { durable: false, messageTtl: 50, deadLetterExchange: '' });
    ch.sendToQueue(selfLoop, Buffer.from('c'));
    await waitForReady(ch, selfLoop, 0, 2000);
    await delay(200); // several TTLs: had it looped, it would be back
    expect((await ch.checkQueue(selfLoop)).messageCount).toBe(0);
    expect(await ch.get(selfLoop, { noAck: true })).toBe(false);
  });

  test('cycle detection: two TTL queues dead-lettering into each other drop the message when it would die in the first again', async () => {
    const { ch } = await open(broker.url);
    const a = cleanup.queue(uniqueName('cycle-a'));
    const b = cleanup.queue(uniqueName('cycle-b'));
    await ch.assertQueue(a, { durable: false, messageTtl: 50, deadLetterExchange: '', deadLetterRoutingKey: b });
    await ch.assertQueue(b, { durable: false, messageTtl: 50, deadLetterExchange: '', deadLetterRoutingKey: a });
    ch.sendToQueue(a, Buffer.from('c'));
    await delay(400);
    expect((await ch.checkQueue(a)).messageCount).toBe(0);
    expect((await ch.checkQueue(b)).messageCount).toBe(0);
  });

  test('cycle detection does not drop a message whose cycle includes a rejection (RabbitMQ: dead-letter cycles)', async () => {
    const { ch } = await open(broker.url);
    const a = cleanup.queue(uniqueName('cycle-a'));
    const b = cleanup.queue(uniqueName('cycle-b'));
    // a: expires into b; b: a rejection sends it back to a
    await ch.assertQueue(a, { durable: false, messageTtl: 50, deadLetterExchange: '', deadLetterRoutingKey: b });
    await ch.assertQueue(b, { durable: false, deadLetterExchange: '', deadLetterRoutingKey: a });
    ch.sendToQueue(a, Buffer.from('c'));
    ch.reject(await getOneAcking(ch, b), false);
    const back = await getOneAcking(ch, b);
    expect(xDeath(back).map((e) => [e.reason, e.queue, e.count, e['routing-keys']])).toEqual([
      ['expired', a, 2, [a]],
      ['rejected', b, 1, [b]],
    ]);
    expect(headersOf(back)['x-first-death-reason']).toBe('expired');
    ch.ack(back);
  });
});

/** basic.get without noAck, waiting for the message to be there; the caller acks, rejects or nacks it. */
async function getOneAcking(ch: amqp.Channel, queue: string, timeoutMs = 3000): Promise<amqp.GetMessage> {
  return eventually(async () => (await ch.get(queue, { noAck: false })) || undefined, timeoutMs, `a message in ${queue}`);
}
