/**
 * basic class, prefetch: basic.qos per consumer and global, prefetch_count 0, prefetch_size refused.
 */
import { Reply } from './support/codes';
import { queueWith } from './support/basic';
import { delay, expectConnectionClose, Inbox, open, rpc, setupBroker } from './support/broker';

const broker = setupBroker();

describe('basic', () => {
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
