/**
 * Leveret extension: messages expire by their deadline wherever they are in the queue, not only at the head.
 *
 * RabbitMQ's classic queues only look at the head: a message with a short expiration behind one with a long
 * expiration stays counted (and undelivered) until it reaches the head. Leveret expires (and dead-letters) each
 * message at its own deadline. Leveret only (the `extensions` jest project); never run against RabbitMQ.
 */
import {
  channel,
  connect,
  delay,
  drain,
  getOne,
  Inbox,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
  cleanup,
  xDeath,
} from '../support/broker';

const broker = setupBroker();

describe('expiry by deadline (Leveret extension)', () => {
  test('a short-lived message behind a long-lived head is dead-lettered at its own deadline; the count drops to 1', async () => {
    const { ch } = await open(broker.url);
    const dlx = cleanup.exchange(uniqueName('dlx'));
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    const { queue: dlq } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(dlq, dlx, '');
    const q = await ch.assertQueue('', { exclusive: true, deadLetterExchange: dlx });
    const published = Date.now();
    ch.sendToQueue(q.queue, Buffer.from('A'), { expiration: '60000' });
    ch.sendToQueue(q.queue, Buffer.from('B'), { expiration: '100' });
    await waitForReady(ch, q.queue, 2);
    const dead = await getOne(ch, dlq, 2000);
    const elapsed = Date.now() - published;
    expect(dead.content.toString()).toBe('B');
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThanOrEqual(400);
    expect(dead.properties.expiration).toBeUndefined();
    expect(xDeath(dead)).toEqual([
      expect.objectContaining({ count: 1, reason: 'expired', queue: q.queue, exchange: '', 'routing-keys': [q.queue], 'original-expiration': '100' }),
    ]);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(1);
    expect(await drain(ch, q.queue)).toEqual(['A']);
  });

  test('without a dead-letter exchange the expired message behind the head is dropped and the head is still delivered', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('A'), { expiration: '60000' });
    ch.sendToQueue(q.queue, Buffer.from('B'), { expiration: '100' });
    ch.sendToQueue(q.queue, Buffer.from('C'));
    await waitForReady(ch, q.queue, 3);
    await waitForReady(ch, q.queue, 2, 400);
    expect(await drain(ch, q.queue)).toEqual(['A', 'C']);
  });

  test('a message expires by deadline while a consumer with a full prefetch holds the head', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const consumerCh = await channel(conn);
    await consumerCh.prefetch(1);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, inbox.onMessage, { noAck: false });
    ch.sendToQueue(q.queue, Buffer.from('held'));
    await inbox.waitFor(1);
    ch.sendToQueue(q.queue, Buffer.from('long'), { expiration: '60000' });
    ch.sendToQueue(q.queue, Buffer.from('short'), { expiration: '100' });
    await waitForReady(ch, q.queue, 2);
    await waitForReady(ch, q.queue, 1, 400);
    consumerCh.ack(inbox.messages[0] as NonNullable<(typeof inbox.messages)[0]>);
    await inbox.waitFor(2);
    await delay(50);
    expect(inbox.bodies()).toEqual(['held', 'long']);
  });

  test('x-message-ttl and per-message expirations mix: each message goes at the lower of its two deadlines', async () => {
    const conn = await connect(broker.url);
    const ch = await channel(conn);
    const q = await ch.assertQueue('', { exclusive: true, messageTtl: 300 });
    const published = Date.now();
    ch.sendToQueue(q.queue, Buffer.from('queue-ttl'));
    ch.sendToQueue(q.queue, Buffer.from('own-100'), { expiration: '100' });
    ch.sendToQueue(q.queue, Buffer.from('own-60000'), { expiration: '60000' });
    await waitForReady(ch, q.queue, 3);
    await waitForReady(ch, q.queue, 2, 400);
    expect(Date.now() - published).toBeLessThan(290);
    await waitForReady(ch, q.queue, 0, 1000);
    expect(Date.now() - published).toBeGreaterThanOrEqual(280);
  });
});
