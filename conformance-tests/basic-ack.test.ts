/**
 * basic class, settling deliveries: basic.ack (single, multiple, tag 0), basic.nack and basic.reject with and
 * without requeue, unknown delivery tags, basic.recover.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import { getNow, queueWith } from './support/basic';
import { channel, delay, drain, expectChannelClose, Inbox, open, setupBroker, waitForReady } from './support/broker';

const broker = setupBroker();

describe('basic', () => {
  test('basic.nack with requeue puts the message back at its position with redelivered=true (RabbitMQ: requeue keeps position)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['a', 'b', 'c']);
    const a = await getNow(ch, q);
    ch.nack(a, false, true);
    await waitForReady(ch, q, 3);
    const again = await getNow(ch, q, true);
    expect(again.content.toString()).toBe('a');
    expect(again.fields.redelivered).toBe(true);
    const rest = await getNow(ch, q, true);
    expect(rest.content.toString()).toBe('b');
    expect(rest.fields.redelivered).toBe(false);
  });

  test('basic.reject with requeue redelivers with redelivered=true; without requeue drops the message (spec: basic.reject)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['r1', 'r2']);
    const r1 = await getNow(ch, q);
    ch.reject(r1, true);
    await waitForReady(ch, q, 2);
    const r1again = await getNow(ch, q);
    expect(r1again.content.toString()).toBe('r1');
    expect(r1again.fields.redelivered).toBe(true);
    ch.reject(r1again, false);
    const r2 = await getNow(ch, q);
    ch.reject(r2, false);
    await delay(30);
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('basic.nack multiple requeues every unacked message up to the tag, keeping their order', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3', '4']);
    await getNow(ch, q);
    await getNow(ch, q);
    const third = await getNow(ch, q);
    ch.nack(third, true, true);
    await waitForReady(ch, q, 4);
    expect(await drain(ch, q)).toEqual(['1', '2', '3', '4']);
  });

  test('basic.ack multiple acks every unacked message up to and including the tag (spec: basic.ack multiple)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await queueWith(ch, ['1', '2', '3', '4']);
    const getter = await channel(conn);
    await getNow(getter, q);
    await getNow(getter, q);
    const third = await getNow(getter, q);
    await getNow(getter, q);
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
    for (let i = 0; i < 3; i++) await getNow(getter, q);
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
    const m = await getNow(ch, q);
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
});
