/**
 * Leveret extension: a per-queue consumer timeout, the queue argument x-consumer-timeout (ms).
 *
 * A delivery to a consumer that is not acknowledged within the timeout closes the consumer's channel with 406,
 * with the text RabbitMQ 3.10 uses for its global consumer_timeout (rabbit_channel, class-id 0, method-id 0):
 *   PRECONDITION_FAILED - delivery acknowledgement on channel N timed out. Timeout value used: T ms. This timeout
 *   value can be configured, see consumers doc guide to learn more
 * and the message is requeued. RabbitMQ 3.10 checks only on a ~60 s channel tick and ignores x-consumer-timeout
 * (a queue argument since 3.12); Leveret enforces it promptly. Leveret only (the `extensions` jest project).
 */
import type * as amqp from 'amqplib';
import { Reply } from '../support/codes';
import { channel, delay, errorsOf, Inbox, isClosed, open, parseClose, setupBroker, whenClosed } from '../support/broker';

const broker = setupBroker();

function timeoutText(channelId: number, ms: number): string {
  return (
    `PRECONDITION_FAILED - delivery acknowledgement on channel ${channelId} timed out. Timeout value used: ${ms} ms. ` +
    'This timeout value can be configured, see consumers doc guide to learn more'
  );
}

/** amqplib's channel number. */
function channelId(ch: amqp.Channel): number {
  return (ch as unknown as { ch: number }).ch;
}

describe('consumer timeout, x-consumer-timeout (Leveret extension)', () => {
  test('an unacked delivery past x-consumer-timeout closes the channel with 406 and RabbitMQ\'s text; the message is requeued', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-consumer-timeout': 200 } });
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, inbox.onMessage, { noAck: false });
    ch.sendToQueue(q.queue, Buffer.from('slow'));
    await inbox.waitFor(1);
    const delivered = Date.now();
    const err = await whenClosed(consumerCh, 3000);
    const elapsed = Date.now() - delivered;
    if (!err) throw new Error('channel closed cleanly; expected a consumer timeout');
    const info = parseClose(err as Error & { code?: number });
    expect(info.code).toBe(Reply.PRECONDITION_FAILED);
    expect(info.text).toBe(timeoutText(channelId(consumerCh), 200));
    expect([info.classId, info.methodId]).toEqual([0, 0]);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThanOrEqual(1500);
    // only that channel: the connection and its other channels stay up
    expect(isClosed(conn)).toBe(false);
    const next = new Inbox();
    await ch.consume(q.queue, next.onMessage, { noAck: true });
    const [m] = await next.waitFor(1);
    expect(m?.content.toString()).toBe('slow');
    expect(m?.fields.redelivered).toBe(true);
  });

  test('the text names the channel number of the timed-out channel', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-consumer-timeout': 100 } });
    await channel(conn); // skip a number
    const consumerCh = await channel(conn);
    expect(channelId(consumerCh)).toBeGreaterThan(2);
    await consumerCh.consume(q.queue, () => undefined, { noAck: false });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    const err = await whenClosed(consumerCh, 3000);
    expect(parseClose(err as Error).text).toBe(timeoutText(channelId(consumerCh), 100));
  });

  test('acknowledging within the timeout keeps the channel open', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-consumer-timeout': 200 } });
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, (m) => {
      inbox.onMessage(m);
      if (m) setTimeout(() => consumerCh.ack(m), 50);
    });
    for (let i = 0; i < 5; i++) {
      ch.sendToQueue(q.queue, Buffer.from(`m${i}`));
      await delay(80);
    }
    await inbox.waitFor(5);
    await delay(400);
    expect(isClosed(consumerCh)).toBe(false);
    expect(errorsOf(consumerCh)).toEqual([]);
    expect(await consumerCh.checkQueue(q.queue)).toEqual({ queue: q.queue, messageCount: 0, consumerCount: 1 });
  });

  test('a no-ack consumer is never timed out', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true, arguments: { 'x-consumer-timeout': 100 } });
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, inbox.onMessage, { noAck: true });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    await inbox.waitFor(1);
    await delay(350);
    expect(isClosed(consumerCh)).toBe(false);
    expect((await consumerCh.checkQueue(q.queue)).consumerCount).toBe(1);
  });

  test('a queue without x-consumer-timeout does not time out a slow consumer', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const consumerCh = await channel(conn);
    const inbox = new Inbox();
    await consumerCh.consume(q.queue, inbox.onMessage, { noAck: false });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    await inbox.waitFor(1);
    await delay(400);
    expect(isClosed(consumerCh)).toBe(false);
    consumerCh.ack(inbox.messages[0] as amqp.ConsumeMessage);
    expect((await consumerCh.checkQueue(q.queue)).messageCount).toBe(0);
  });
});
