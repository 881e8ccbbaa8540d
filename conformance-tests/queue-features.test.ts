/**
 * Queue features RabbitMQ adds through queue arguments and message properties: message TTL (x-message-ttl and the
 * expiration property), queue TTL (x-expires), length limits (x-max-length, x-max-length-bytes, x-overflow),
 * dead-lettering (x-dead-letter-exchange, x-dead-letter-routing-key, the x-death header, cycle detection) and
 * priority queues (x-max-priority). RabbitMQ 3.10 is the judge: every test here passes against it.
 *
 * Timing: TTLs are 30-300 ms; "has not arrived" is checked after the TTL with a basic.get or a message count,
 * "has arrived" with `eventually`/`waitForReady`, never with a long sleep.
 */
import type * as amqp from 'amqplib';
import {
  channel,
  cleanup,
  confirmChannel,
  connect,
  delay,
  drain,
  eventually,
  getOne,
  headersOf,
  Inbox,
  isRoutable,
  open,
  publishOutcome,
  setupBroker,
  uniqueName,
  waitForReady,
  waitUntilUnroutable,
  withTimeout,
  xDeath,
  type XDeath,
} from './support/broker';

const broker = setupBroker();

/** A fanout DLX with one exclusive queue bound to it: where dead letters land. */
async function deadLetterSink(ch: amqp.Channel): Promise<{ dlx: string; dlq: string }> {
  const dlx = cleanup.exchange(uniqueName('dlx'));
  await ch.assertExchange(dlx, 'fanout', { durable: false });
  const { queue: dlq } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}

describe('message TTL', () => {
  test('x-message-ttl: messages older than the TTL are not delivered (RabbitMQ: per-queue message TTL)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, messageTtl: 50 });
    ch.sendToQueue(q.queue, Buffer.from('stale'));
    await waitForReady(ch, q.queue, 1);
    await eventually(async () => (await ch.checkQueue(q.queue)).messageCount === 0, 3000, 'expiry');
    expect(await ch.get(q.queue, { noAck: true })).toBe(false);
  });

  test('per-message expiration: an expired message is dropped, a fresh one is delivered (RabbitMQ: per-message TTL)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('short'), { expiration: '30' });
    ch.sendToQueue(q.queue, Buffer.from('long'), { expiration: '60000' });
    await delay(120);
    expect(await drain(ch, q.queue)).toEqual(['long']);
  });

  test('a delivered message keeps its expiration property as published (RabbitMQ: per-message TTL)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('x'), { expiration: '60000' });
    const m = await getOne(ch, q.queue);
    expect(m.properties.expiration).toBe('60000');
  });

  test('with both x-message-ttl and expiration the lower one applies, per message (RabbitMQ: per-queue and per-message TTL)', async () => {
    const { ch } = await open(broker.url);
    // queue TTL 300: the message with expiration 50 goes first; expiration 60000 is cut down to 300
    const q = await ch.assertQueue('', { exclusive: true, messageTtl: 300 });
    const published = Date.now();
    ch.sendToQueue(q.queue, Buffer.from('exp-50'), { expiration: '50' });
    ch.sendToQueue(q.queue, Buffer.from('exp-60000'), { expiration: '60000' });
    ch.sendToQueue(q.queue, Buffer.from('no-exp'));
    await waitForReady(ch, q.queue, 2, 1000);
    expect(Date.now() - published).toBeLessThan(280);
    await waitForReady(ch, q.queue, 0, 3000);
    expect(Date.now() - published).toBeGreaterThanOrEqual(250);
    expect(await ch.get(q.queue, { noAck: true })).toBe(false);
  });

  test('x-message-ttl 0: a message no consumer can take at once is dropped; a waiting consumer gets it (RabbitMQ: TTL 0)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, messageTtl: 0 });
    expect(await publishOutcome(ch, '', q.queue, 'nobody-waiting')).toBe('ack');
    expect(await ch.checkQueue(q.queue)).toEqual({ queue: q.queue, messageCount: 0, consumerCount: 0 });
    expect(await ch.get(q.queue, { noAck: true })).toBe(false);

    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    ch.sendToQueue(q.queue, Buffer.from('consumer-waiting'));
    await inbox.waitFor(1);
    expect(inbox.bodies()).toEqual(['consumer-waiting']);
  });

  test('a message requeued after its TTL has passed is dropped, not redelivered (RabbitMQ: TTL and requeue)', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    const q = await ch.assertQueue('', { exclusive: true, messageTtl: 150 });
    ch.sendToQueue(q.queue, Buffer.from('held'));
    await waitForReady(ch, q.queue, 1);
    const holder = await channel(conn);
    const held = await holder.get(q.queue, { noAck: false });
    expect(held && held.content.toString()).toBe('held');
    await delay(250);
    if (held) holder.nack(held, false, true);
    await delay(50);
    expect(await ch.get(q.queue, { noAck: true })).toBe(false);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('an expired message is dead-lettered with reason expired; expiration moves to original-expiration (RabbitMQ: DLX, per-message TTL)', async () => {
    const { ch } = await open(broker.url);
    const { dlx, dlq } = await deadLetterSink(ch);
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx });
    ch.sendToQueue(work.queue, Buffer.from('late'), { expiration: '50', messageId: 'm-1', headers: { app: 'a' } });
    const d = await getOne(ch, dlq);
    expect(d.content.toString()).toBe('late');
    expect(d.fields.exchange).toBe(dlx);
    expect(d.fields.routingKey).toBe(work.queue);
    expect(d.properties.expiration).toBeUndefined();
    expect(d.properties.messageId).toBe('m-1');
    expect(headersOf(d).app).toBe('a');
    const deaths = xDeath(d);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]).toEqual({
      count: 1,
      reason: 'expired',
      queue: work.queue,
      exchange: '',
      'routing-keys': [work.queue],
      time: expect.objectContaining({ '!': 'timestamp' }),
      'original-expiration': '50',
    });
    expect(headersOf(d)['x-first-death-reason']).toBe('expired');
  });

  test('x-dead-letter-exchange with x-dead-letter-routing-key: expired messages are dead-lettered with reason expired', async () => {
    const { ch } = await open(broker.url);
    const dlx = cleanup.exchange(uniqueName('dlx'));
    await ch.assertExchange(dlx, 'direct', { durable: false });
    const dead = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(dead.queue, dlx, 'expired-rk');
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx, deadLetterRoutingKey: 'expired-rk', messageTtl: 30 });
    ch.sendToQueue(work.queue, Buffer.from('late'));
    await waitForReady(ch, dead.queue, 1);
    const d = await ch.get(dead.queue, { noAck: true });
    if (!d) throw new Error('no dead letter');
    expect(d.fields.routingKey).toBe('expired-rk');
    const deaths = xDeath(d);
    expect(deaths[0]).toEqual(expect.objectContaining({ reason: 'expired', queue: work.queue, count: 1 }));
    // expired by the queue's TTL, not by a per-message expiration: no original-expiration
    expect(deaths[0]).not.toHaveProperty('original-expiration');
  });
});

describe('x-expires (queue TTL)', () => {
  test('x-expires: an unused queue is deleted after the given idle time (RabbitMQ: queue TTL)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('expires'));
    const declared = Date.now();
    await ch.assertQueue(q, { durable: false, expires: 200 });
    // publishing does not renew the lease (waitUntilUnroutable probes with mandatory publishes)
    await waitUntilUnroutable(broker.url, q, 3000);
    expect(Date.now() - declared).toBeGreaterThanOrEqual(180);
  });

  test('x-expires: a queue holding messages is deleted just the same (RabbitMQ: queue TTL counts use, not content)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('expires'));
    await ch.assertQueue(q, { durable: false, expires: 150 });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await waitUntilUnroutable(broker.url, q, 3000);
  });

  test('x-expires: a consumer keeps the queue; the idle time counts from the cancel (RabbitMQ: queue TTL)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('expires'));
    await ch.assertQueue(q, { durable: false, expires: 200 });
    const { consumerTag } = await ch.consume(q, () => undefined, { noAck: true });
    const conn = await connect(broker.url);
    const probe = await confirmChannel(conn);
    await delay(450);
    expect(await isRoutable(probe, q)).toBe(true);
    await ch.cancel(consumerTag);
    const cancelled = Date.now();
    await eventually(async () => !(await isRoutable(probe, q)), 3000, 'expiry after cancel');
    expect(Date.now() - cancelled).toBeGreaterThanOrEqual(150);
  });

  test('x-expires: basic.get and a redeclare renew the lease (RabbitMQ: queue TTL "unused")', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('expires'));
    await ch.assertQueue(q, { durable: false, expires: 250 });
    const conn = await connect(broker.url);
    const probe = await confirmChannel(conn);
    // each action comes before the previous lease ran out; together they span well past one lease
    for (let i = 0; i < 3; i++) {
      await delay(150);
      await ch.get(q, { noAck: true });
    }
    for (let i = 0; i < 3; i++) {
      await delay(150);
      await ch.assertQueue(q, { durable: false, expires: 250 });
    }
    expect(await isRoutable(probe, q)).toBe(true);
    const last = Date.now();
    await eventually(async () => !(await isRoutable(probe, q)), 3000, 'expiry after the last renewal');
    expect(Date.now() - last).toBeGreaterThanOrEqual(200);
  });
});

describe('length limits', () => {
  test('x-max-length with the default overflow drops from the head (RabbitMQ: drop-head)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2 });
    for (const b of ['1', '2', '3', '4', '5']) ch.sendToQueue(q.queue, Buffer.from(b));
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(2);
    expect(await drain(ch, q.queue)).toEqual(['4', '5']);
  });

  test('x-max-length 0: every message is dropped on arrival (RabbitMQ: max length)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 0 });
    expect(await publishOutcome(ch, '', q.queue, 'gone')).toBe('ack');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('x-max-length-bytes counts body bytes only and drops from the head (RabbitMQ: max length bytes)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length-bytes': 10 } });
    // 5 + 5 body bytes fit exactly, however large the headers
    ch.sendToQueue(q.queue, Buffer.from('aaaaa'), { headers: { big: 'h'.repeat(200) } });
    ch.sendToQueue(q.queue, Buffer.from('bbbbb'), { messageId: 'm'.repeat(100) });
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(2);
    // one more byte: the head goes
    ch.sendToQueue(q.queue, Buffer.from('c'));
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect(await drain(ch, q.queue)).toEqual(['bbbbb', 'c']);
    // a message larger than the limit on its own does not stay
    ch.sendToQueue(q.queue, Buffer.from('x'.repeat(11)));
    await withTimeout(ch.waitForConfirms(), 5000, 'confirms');
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('x-dead-letter-exchange: messages dropped by x-max-length are dead-lettered with reason maxlen', async () => {
    const { ch } = await open(broker.url);
    const dlx = cleanup.exchange(uniqueName('dlx'));
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    const dead = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(dead.queue, dlx, '');
    const work = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx, maxLength: 1 });
    ch.sendToQueue(work.queue, Buffer.from('first'));
    ch.sendToQueue(work.queue, Buffer.from('second'));
    await waitForReady(ch, dead.queue, 1);
    const d = await ch.get(dead.queue, { noAck: true });
    expect(d && d.content.toString()).toBe('first');
    if (!d) throw new Error('no dead letter');
    expect(xDeath(d)[0]).toEqual(expect.objectContaining({ reason: 'maxlen', queue: work.queue, count: 1, exchange: '' }));
    expect(headersOf(d)['x-first-death-reason']).toBe('maxlen');
    expect(await drain(ch, work.queue)).toEqual(['second']);
  });

  test('a publish refused by x-overflow reject-publish is nacked (RabbitMQ: basic.nack for publisher confirms)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 1, overflow: 'reject-publish' });
    const outcomes: string[] = [];
    ch.sendToQueue(q.queue, Buffer.from('fits'), {}, (err) => outcomes.push(err ? 'nack' : 'ack'));
    ch.sendToQueue(q.queue, Buffer.from('overflows'), {}, (err) => outcomes.push(err ? 'nack' : 'ack'));
    await ch.waitForConfirms().catch(() => undefined);
    expect(outcomes).toEqual(['ack', 'nack']);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(1);
  });

  test('x-overflow reject-publish: the refused message is not enqueued, the queue keeps its oldest (RabbitMQ: reject-publish)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const returns: string[] = [];
    ch.on('return', (m: amqp.Message) => returns.push(m.content.toString()));
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2, overflow: 'reject-publish' });
    expect(await publishOutcome(ch, '', q.queue, 'r0')).toBe('ack');
    expect(await publishOutcome(ch, '', q.queue, 'r1')).toBe('ack');
    expect(await publishOutcome(ch, '', q.queue, 'r2')).toBe('nack');
    // mandatory makes no difference: a full queue is not "no route", so nothing is returned
    expect(await publishOutcome(ch, '', q.queue, 'r3', { mandatory: true })).toBe('nack');
    expect(returns).toEqual([]);
    expect(await drain(ch, q.queue)).toEqual(['r0', 'r1']);
    // with room again, publishes are accepted
    expect(await publishOutcome(ch, '', q.queue, 'r4')).toBe('ack');
    expect(await drain(ch, q.queue)).toEqual(['r4']);
  });

  test('x-overflow reject-publish: a message routed to a full queue and another queue is nacked, the other queue still gets it', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const x = cleanup.exchange(uniqueName('fan'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    const full = await ch.assertQueue('', { exclusive: true, maxLength: 0, overflow: 'reject-publish' });
    const other = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(full.queue, x, '');
    await ch.bindQueue(other.queue, x, '');
    expect(await publishOutcome(ch, x, '', 'both')).toBe('nack');
    expect(await drain(ch, other.queue)).toEqual(['both']);
    expect((await ch.checkQueue(full.queue)).messageCount).toBe(0);
  });

  test('x-overflow reject-publish without confirms: the refused message is dropped silently, the channel stays open', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 1, overflow: 'reject-publish' });
    ch.sendToQueue(q.queue, Buffer.from('kept'));
    ch.sendToQueue(q.queue, Buffer.from('refused'));
    ch.sendToQueue(q.queue, Buffer.from('refused too'));
    await waitForReady(ch, q.queue, 1);
    await delay(50);
    expect(await drain(ch, q.queue)).toEqual(['kept']);
  });

  test('x-overflow reject-publish-dlx: the refused message is nacked and dead-lettered with reason maxlen (RabbitMQ: reject-publish-dlx)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const { dlx, dlq } = await deadLetterSink(ch);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 1, overflow: 'reject-publish-dlx', deadLetterExchange: dlx });
    expect(await publishOutcome(ch, '', q.queue, 'd0')).toBe('ack');
    expect(await publishOutcome(ch, '', q.queue, 'd1')).toBe('nack');
    expect(await publishOutcome(ch, '', q.queue, 'd2')).toBe('nack');
    await waitForReady(ch, dlq, 2);
    const dead = [await getOne(ch, dlq), await getOne(ch, dlq)];
    expect(dead.map((m) => m.content.toString())).toEqual(['d1', 'd2']);
    for (const d of dead) {
      expect(xDeath(d)).toEqual([expect.objectContaining({ count: 1, reason: 'maxlen', queue: q.queue, exchange: '', 'routing-keys': [q.queue] })]);
    }
    expect(await drain(ch, q.queue)).toEqual(['d0']);
  });

  test('x-overflow drop-head dead-letters the dropped head, the newest stays (RabbitMQ: drop-head with DLX)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const { dlx, dlq } = await deadLetterSink(ch);
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2, overflow: 'drop-head', deadLetterExchange: dlx });
    for (const b of ['h1', 'h2', 'h3', 'h4']) expect(await publishOutcome(ch, '', q.queue, b)).toBe('ack');
    await waitForReady(ch, dlq, 2);
    expect(await drain(ch, dlq)).toEqual(['h1', 'h2']);
    expect(await drain(ch, q.queue)).toEqual(['h3', 'h4']);
  });
});

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

describe('priority queues (x-max-priority)', () => {
  test('x-max-priority: higher-priority messages are delivered first, FIFO within a priority (RabbitMQ: priority queues)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, maxPriority: 10 });
    const sends: Array<[string, number | undefined]> = [
      ['p1', 1],
      ['p5a', 5],
      ['none', undefined],
      ['p3', 3],
      ['p5b', 5],
      ['p20', 20],
    ];
    for (const [body, priority] of sends) ch.sendToQueue(q.queue, Buffer.from(body), priority === undefined ? {} : { priority });
    await waitForReady(ch, q.queue, sends.length);
    // priorities above x-max-priority count as the maximum
    expect(await drain(ch, q.queue)).toEqual(['p20', 'p5a', 'p5b', 'p3', 'p1', 'none']);
  });

  test('a priority above the maximum ranks as the maximum, FIFO with it, and is delivered unchanged; no priority ranks as 0', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, maxPriority: 5 });
    const sends: Array<[string, number | undefined]> = [
      ['a', 1],
      ['b', 5],
      ['c', 9],
      ['d', undefined],
      ['e', 5],
      ['f', 0],
      ['g', 3],
    ];
    for (const [body, priority] of sends) ch.sendToQueue(q.queue, Buffer.from(body), priority === undefined ? {} : { priority });
    await waitForReady(ch, q.queue, sends.length);
    const got: string[] = [];
    for (let i = 0; i < sends.length; i++) {
      const m = await getOne(ch, q.queue);
      got.push(`${m.content.toString()}:${String(m.properties.priority)}`);
    }
    expect(got).toEqual(['b:5', 'c:9', 'e:5', 'g:3', 'a:1', 'd:undefined', 'f:0']);
  });

  test('x-max-priority 0 is accepted and keeps plain FIFO order (RabbitMQ: priority queues)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, maxPriority: 0 });
    ch.sendToQueue(q.queue, Buffer.from('x'), { priority: 3 });
    ch.sendToQueue(q.queue, Buffer.from('y'), { priority: 7 });
    await waitForReady(ch, q.queue, 2);
    expect(await drain(ch, q.queue)).toEqual(['x', 'y']);
  });

  test('a consumer gets the highest priorities first and no more than its prefetch (RabbitMQ: priority queues and basic.qos)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, maxPriority: 5 });
    for (const [b, p] of [
      ['l1', 1],
      ['l2', 1],
      ['h1', 5],
      ['h2', 5],
    ] as const) {
      ch.sendToQueue(q.queue, Buffer.from(b), { priority: p });
    }
    await waitForReady(ch, q.queue, 4);
    const consumerCh = await channel(conn);
    await consumerCh.prefetch(2);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, inbox.onMessage, { noAck: false });
    await inbox.waitFor(2);
    await delay(50);
    expect(inbox.bodies()).toEqual(['h1', 'h2']);
    // a higher-priority message published now overtakes the waiting low ones
    ch.sendToQueue(q.queue, Buffer.from('h3'), { priority: 4 });
    await waitForReady(ch, q.queue, 3);
    for (const m of inbox.messages.slice(0, 2)) consumerCh.ack(m);
    await inbox.waitFor(4);
    expect(inbox.bodies().slice(2, 4)).toEqual(['h3', 'l1']);
    for (const m of inbox.messages.slice(2, 4)) consumerCh.ack(m);
    await inbox.waitFor(5);
    expect(inbox.bodies()).toEqual(['h1', 'h2', 'h3', 'l1', 'l2']);
  });
});

/** basic.get without noAck, waiting for the message to be there; the caller acks, rejects or nacks it. */
async function getOneAcking(ch: amqp.Channel, queue: string, timeoutMs = 3000): Promise<amqp.GetMessage> {
  return eventually(async () => (await ch.get(queue, { noAck: false })) || undefined, timeoutMs, `a message in ${queue}`);
}
