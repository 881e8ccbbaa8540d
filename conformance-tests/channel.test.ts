/**
 * channel class: open/close, many channels, channel.flow, and how soft and hard errors affect channels.
 */
import { Reply } from './support/codes';
import {
  channel,
  connect,
  errorsOf,
  eventually,
  expectChannelClose,
  expectConnectionClose,
  isClosed,
  open,
  rpc,
  setupBroker,
  uniqueName,
  whenClosed,
} from './support/broker';

const broker = setupBroker();

describe('channel', () => {
  test('a connection can open many channels, each usable on its own (spec: channel.open)', async () => {
    const conn = await connect(broker.url);
    const chans = await Promise.all(Array.from({ length: 100 }, () => channel(conn)));
    const qs = await Promise.all(chans.map((ch) => ch.assertQueue('', { exclusive: true })));
    expect(new Set(qs.map((q) => q.queue)).size).toBe(100);
  });

  test('channel.close by the client completes with close-ok; the channel number can be reused (spec: channel.close)', async () => {
    const conn = await connect(broker.url);
    for (let i = 0; i < 20; i++) {
      const ch = await channel(conn);
      await ch.assertQueue('', { exclusive: true });
      await ch.close();
      expect(await whenClosed(ch)).toBeUndefined();
    }
    expect(errorsOf(conn)).toEqual([]);
  });

  test('a soft error closes only the offending channel; siblings and the connection carry on (spec: channel exceptions)', async () => {
    const conn = await connect(broker.url);
    const bad = await channel(conn);
    const good = await channel(conn);
    const q = uniqueName('missing');
    await expectChannelClose(bad, () => bad.checkQueue(q), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
    expect(isClosed(good)).toBe(false);
    await good.assertQueue('', { exclusive: true });
    const fresh = await channel(conn);
    await fresh.assertQueue('', { exclusive: true });
  });

  test('a hard error closes the connection and every channel on it (spec: connection exceptions)', async () => {
    const conn = await connect(broker.url);
    const ch1 = await channel(conn);
    const ch2 = await channel(conn);
    const ch3 = await channel(conn);
    await expectConnectionClose(
      conn,
      () => ch1.assertExchange(uniqueName('x'), 'no-such-type'),
      Reply.COMMAND_INVALID,
      "COMMAND_INVALID - unknown exchange type 'no-such-type'",
    );
    await whenClosed(ch2);
    await whenClosed(ch3);
    expect([isClosed(ch1), isClosed(ch2), isClosed(ch3)]).toEqual([true, true, true]);
  });

  test('channel.flow active=true is answered with flow-ok active=true (spec: channel.flow)', async () => {
    const { ch } = await open(broker.url);
    expect(await rpc(ch, 'ChannelFlow', { active: true }, 'ChannelFlowOk')).toEqual({ active: true });
    await ch.assertQueue('', { exclusive: true });
  });

  test('channel.flow active=false is refused with 540 NOT_IMPLEMENTED (RabbitMQ: client flow control unsupported)', async () => {
    const { conn, ch } = await open(broker.url);
    await expectConnectionClose(conn, () => rpc(ch, 'ChannelFlow', { active: false }, 'ChannelFlowOk'), Reply.NOT_IMPLEMENTED, 'NOT_IMPLEMENTED - active=false');
  });

  test('closing a channel requeues its unacked messages and cancels its consumers (spec: channel.close)', async () => {
    const { conn, ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('held'));
    const consumer = await channel(conn);
    const got: string[] = [];
    await consumer.consume(q.queue, (m) => {
      if (m) got.push(m.content.toString());
    });
    await eventually(() => got.length > 0, 1000, 'the held message');
    expect(got).toEqual(['held']);
    await consumer.close();
    const after = await ch.checkQueue(q.queue);
    expect(after).toEqual({ queue: q.queue, messageCount: 1, consumerCount: 0 });
  });
});
