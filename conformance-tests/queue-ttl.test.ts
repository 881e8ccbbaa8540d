/**
 * Message TTL (x-message-ttl and the expiration property) and queue TTL (x-expires), as RabbitMQ implements them
 * through queue arguments and message properties. RabbitMQ 3.10 is the judge: every test here passes against it.
 *
 * Timing: TTLs are 30-300 ms; "has not arrived" is checked after the TTL with a basic.get or a message count,
 * "has arrived" with `eventually`/`waitForReady`, never with a long sleep.
 */
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
  xDeath,
} from './support/broker';
import { deadLetterSink } from './support/dead-letters';

const broker = setupBroker();

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
