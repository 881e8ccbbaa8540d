/**
 * Connection and channel limits over AMQP: real Connections driven over in-memory socket pairs, all sharing one
 * ConnectionContext whose connectionCount and channelCount count the harness's open connections the way broker.ts
 * counts its own.
 *
 * - vhost max-connections and user max-connections refuse connection.open with 530 (blamed on connection.open) and
 *   RabbitMQ's texts; a slot frees when a connection closes;
 * - user max-channels refuses channel.open with a 530 connection.close (blamed on channel.open).
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { FullAccessBroker as Broker } from './test-support/brokers';
import { channelClose, connectionClosed, declareOk, queueDeclare } from './test-support/frames';
import { type Client, channelOpen, openOk } from './test-support/harness';

function vhostLimitText(user: string, n: number, vhost = '/'): string {
  return `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}': connection limit (${n}) is reached`;
}

function userLimitText(user: string, n: number): string {
  return `NOT_ALLOWED - Connection refused for user '${user}'. User connection limit (${n}) is reached`;
}

function channelLimitText(user: string, n: number): string {
  return `NOT_ALLOWED - number of channels opened for user '${user}' has reached the maximum allowed user limit of (${n})`;
}

/** A refused connection.open: the client answers close-ok and the server ends the stream. */
async function acknowledgeRefusal(c: Client): Promise<void> {
  expect(await c.call(encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}))).toEqual([]);
  expect(c.ended).toBe(true);
  await c.finish();
}

describe('Limits: vhost max-connections', () => {
  test('with max-connections 1 a second connection.open is refused with 530 (connection.open); another vhost is unaffected', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 1 });
    const first = broker.connect('guest');
    await first.ready();
    const second = broker.connect('alice');
    expect(await second.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, vhostLimitText('alice', 1), MethodId.ConnectionOpen)]);
    // Nothing is accepted on the refused connection.
    expect(await second.call(channelOpen(1))).toEqual([]);
    expect(second.connection.isOpen).toBe(false);
    await acknowledgeRefusal(second);

    const elsewhere = broker.connect('alice', 'other');
    await elsewhere.ready();
    await elsewhere.close();
    // The first connection still works.
    expect(await first.call(queueDeclare(1, 'still-here'))).toEqual([declareOk('still-here')]);
    await first.close();
  });

  test('after the first connection closes (connection.close) a new one opens', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 1 });
    const first = broker.connect('guest');
    await first.ready();
    const refused = broker.connect('guest');
    expect(await refused.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, vhostLimitText('guest', 1), MethodId.ConnectionOpen)]);
    await acknowledgeRefusal(refused);
    await first.close();
    const next = broker.connect('guest');
    await next.ready();
    // And the limit holds again with it open; the refused connection never counted.
    const again = broker.connect('guest');
    expect(await again.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, vhostLimitText('guest', 1), MethodId.ConnectionOpen)]);
    await acknowledgeRefusal(again);
    await next.close();
  });

  test('a connection whose socket drops frees its slot too', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 1 });
    const first = broker.connect('guest');
    await first.ready();
    await first.finish();
    const next = broker.connect('guest');
    await next.ready();
    await next.close();
  });

  test('max-connections 2 allows exactly two', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 2 });
    const a = broker.connect('guest');
    const b = broker.connect('alice');
    await a.ready();
    await b.ready();
    const c = broker.connect('bob');
    expect(await c.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, vhostLimitText('bob', 2), MethodId.ConnectionOpen)]);
    await acknowledgeRefusal(c);
    await a.close();
    await b.close();
  });

  test('max-connections 0 refuses every connection; a negative limit is unlimited', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 0 });
    const c = broker.connect('guest');
    expect(await c.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, vhostLimitText('guest', 0), MethodId.ConnectionOpen)]);
    await acknowledgeRefusal(c);

    broker.vhosts.setLimits('/', { 'max-connections': -1 });
    const clients = [broker.connect('guest'), broker.connect('guest'), broker.connect('alice')];
    for (const client of clients) await client.ready();
    for (const client of clients) await client.close();
  });

  test('clearing the limits lifts the refusal', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 1 });
    const first = broker.connect('guest');
    await first.ready();
    broker.vhosts.setLimits('/', {});
    const second = broker.connect('guest');
    await second.ready();
    await first.close();
    await second.close();
  });
});

describe('Limits: user max-connections', () => {
  test('with max-connections 1 the same user is refused 530 (connection.open) on any vhost; other users are not', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-connections': 1 });
    const first = broker.connect('alice');
    await first.ready();
    for (const vhost of ['/', 'other']) {
      const refused = broker.connect('alice', vhost);
      expect(await refused.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, userLimitText('alice', 1), MethodId.ConnectionOpen)]);
      await acknowledgeRefusal(refused);
    }
    const bob = broker.connect('bob');
    await bob.ready();
    await bob.close();

    await first.close();
    const next = broker.connect('alice', 'other');
    await next.ready();
    await next.close();
  });

  test('user max-connections 0 refuses the user outright; negative is unlimited', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-connections': 0 });
    const c = broker.connect('alice');
    expect(await c.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, userLimitText('alice', 0), MethodId.ConnectionOpen)]);
    await acknowledgeRefusal(c);
    broker.access.setUserLimits('alice', { 'max-connections': -5 });
    const a = broker.connect('alice');
    const b = broker.connect('alice');
    await a.ready();
    await b.ready();
    await a.close();
    await b.close();
  });

  test('the vhost limit is checked before the user limit', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 1 });
    broker.access.setUserLimits('alice', { 'max-connections': 1 });
    const first = broker.connect('alice');
    await first.ready();
    const second = broker.connect('alice');
    expect(await second.open()).toEqual([connectionClosed(ReplyCode.NotAllowed, vhostLimitText('alice', 1), MethodId.ConnectionOpen)]);
    await acknowledgeRefusal(second);
    await first.close();
  });
});

describe('Limits: user max-channels', () => {
  test('with max-channels 2 the third channel.open closes the connection with 530 (channel.open)', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-channels': 2 });
    const c = broker.connect('alice');
    await c.ready();
    expect(await c.call(channelOpen(2))).toEqual([openOk(2)]);
    expect(await c.call(channelOpen(3))).toEqual([connectionClosed(ReplyCode.NotAllowed, channelLimitText('alice', 2), MethodId.ChannelOpen)]);
    expect(c.connection.isOpen).toBe(false);
    expect(c.connection.channels.size).toBe(0);
    await acknowledgeRefusal(c);
  });

  test('channels are counted across the user\'s connections; other users are not limited', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-channels': 2 });
    const a = broker.connect('alice');
    const b = broker.connect('alice', 'other');
    await a.ready();
    await b.ready();
    expect(await a.call(channelOpen(2))).toEqual([connectionClosed(ReplyCode.NotAllowed, channelLimitText('alice', 2), MethodId.ChannelOpen)]);
    await acknowledgeRefusal(a);
    // a's channel is gone with it: b may open a second one.
    expect(await b.call(channelOpen(2))).toEqual([openOk(2)]);
    const bob = broker.connect('bob');
    await bob.ready();
    expect(await bob.call(channelOpen(2), channelOpen(3), channelOpen(4))).toEqual([openOk(2), openOk(3), openOk(4)]);
    await bob.close();
    await b.close();
  });

  test('closing a channel frees its slot', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-channels': 2 });
    const c = broker.connect('alice');
    await c.ready();
    expect(await c.call(channelOpen(2))).toEqual([openOk(2)]);
    expect(await c.call(channelClose(2))).toEqual([{ channel: 2, method: 'channel.close-ok', args: {} }]);
    expect(await c.call(channelOpen(3))).toEqual([openOk(3)]);
    await c.close();
  });

  test('max-channels 0 refuses the first channel; a negative limit is unlimited', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-channels': 0 });
    const c = broker.connect('alice');
    expect((await c.open()).map((f) => f.method)).toEqual(['connection.open-ok']);
    expect(await c.call(channelOpen(1))).toEqual([connectionClosed(ReplyCode.NotAllowed, channelLimitText('alice', 0), MethodId.ChannelOpen)]);
    await acknowledgeRefusal(c);

    broker.access.setUserLimits('alice', { 'max-channels': -1 });
    const d = broker.connect('alice');
    await d.ready();
    expect(await d.call(channelOpen(2), channelOpen(3))).toEqual([openOk(2), openOk(3)]);
    await d.close();
  });
});
