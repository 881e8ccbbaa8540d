/**
 * Limits and topic permissions over AMQP: real Connections driven over in-memory socket pairs, all sharing one
 * ConnectionContext whose connectionCount and channelCount count the harness's open connections the way broker.ts
 * counts its own.
 *
 * - vhost max-connections and user max-connections refuse connection.open with 530 (10, 40) and RabbitMQ's texts;
 *   a slot frees when a connection closes;
 * - user max-channels refuses channel.open with a 530 connection.close (20, 10);
 * - vhost max-queues refuses queue.declare of a new queue with 406 (50, 10); re-declaring an existing one works;
 * - topic permissions check basic.publish (write) and queue/exchange bind/unbind (read) on topic exchanges only,
 *   refusing with a 403 channel.close.
 */
import { MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import type { VirtualHost } from '../vhost/vhost';
import {
  type Client,
  type Decoded,
  ELSEWHERE,
  TestBroker,
  basicGet,
  channelOpen,
  openOk,
  publish,
  queueDelete,
} from './test-support/harness';

/** Users guest, alice and bob, each with full permissions on '/' and 'other'; ready() expects channel.open-ok. */
class Broker extends TestBroker {
  constructor() {
    super({ users: ['guest', 'alice', 'bob'], confirmChannelOpen: true });
    for (const name of this.options.users) {
      for (const vhost of ['/', 'other']) this.access.setPermission({ user: name, vhost, configure: '.*', write: '.*', read: '.*' });
    }
  }
}

// ---- frames -----------------------------------------------------------------------------------------

function channelClose(channel: number): Buffer {
  return encodeMethodFrame(channel, MethodId.ChannelClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
}

function reopen(channel = 1): Buffer[] {
  return [encodeMethodFrame(channel, MethodId.ChannelCloseOk, {}), channelOpen(channel)];
}

function queueDeclare(channel: number, queue: string, options: { passive?: boolean; exclusive?: boolean } = {}): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueDeclare, {
    queue,
    passive: options.passive ?? false,
    durable: false,
    exclusive: options.exclusive ?? false,
    autoDelete: false,
    noWait: false,
    arguments: {},
  });
}

function declareOk(queue: string, channel = 1): Decoded {
  return { channel, method: 'queue.declare-ok', args: { queue, messageCount: 0, consumerCount: 0 } };
}

function queueBind(channel: number, queue: string, exchange: string, routingKey: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueBind, { queue, exchange, routingKey, noWait: false, arguments: {} });
}

function queueUnbind(channel: number, queue: string, exchange: string, routingKey: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueUnbind, { queue, exchange, routingKey, arguments: {} });
}

function exchangeBind(channel: number, destination: string, source: string, routingKey: string, unbind = false): Buffer {
  const id = unbind ? MethodId.ExchangeUnbind : MethodId.ExchangeBind;
  return encodeMethodFrame(channel, id, { destination, source, routingKey, noWait: false, arguments: {} });
}

function connectionClose(replyCode: number, replyText: string, classId: number, methodId: number): Decoded {
  return { channel: 0, method: 'connection.close', args: { replyCode, replyText, classId, methodId } };
}

function channelClosed(replyCode: number, replyText: string, classId: number, methodId: number, channel = 1): Decoded {
  return { channel, method: 'channel.close', args: { replyCode, replyText, classId, methodId } };
}

function vhostLimitText(user: string, n: number, vhost = '/'): string {
  return `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}': connection limit (${n}) is reached`;
}

function userLimitText(user: string, n: number): string {
  return `NOT_ALLOWED - Connection refused for user '${user}'. User connection limit (${n}) is reached`;
}

function channelLimitText(user: string, n: number): string {
  return `NOT_ALLOWED - number of channels opened for user '${user}' has reached the maximum allowed user limit of (${n})`;
}

function queueLimitText(queue: string, n: number, vhost = '/'): string {
  return `PRECONDITION_FAILED - cannot declare queue '${queue}': queue limit in vhost '${vhost}' (${n}) is reached`;
}

function topicRefused(kind: 'write' | 'read', routingKey: string, user: string, exchange = 'amq.topic'): string {
  return `ACCESS_REFUSED - access to topic '${routingKey}' in exchange '${exchange}' in vhost '/' refused for user '${user}'`;
}

/** A refused connection.open: the client answers close-ok and the server ends the stream. */
async function acknowledgeRefusal(c: Client): Promise<void> {
  expect(await c.call(encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}))).toEqual([]);
  expect(c.ended).toBe(true);
  await c.finish();
}

function bindingsOf(vhost: VirtualHost): string[] {
  return vhost.bindings
    .all()
    .filter((b) => b.source.name !== '')
    .map((b) => `${b.source.name} -[${b.routingKey}]-> ${b.destinationKind}:${b.destination.name}`)
    .sort();
}

function seedQueue(vhost: VirtualHost, name: string): void {
  vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} }, ELSEWHERE);
}

// ---- connection limits ------------------------------------------------------------------------------

describe('Limits: vhost max-connections', () => {
  test('with max-connections 1 a second connection.open is refused with 530 (10, 40); another vhost is unaffected', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 1 });
    const first = broker.connect('guest');
    await first.ready();
    const second = broker.connect('alice');
    expect(await second.open()).toEqual([connectionClose(ReplyCode.NotAllowed, vhostLimitText('alice', 1), 10, 40)]);
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
    expect(await refused.open()).toEqual([connectionClose(ReplyCode.NotAllowed, vhostLimitText('guest', 1), 10, 40)]);
    await acknowledgeRefusal(refused);
    await first.close();
    const next = broker.connect('guest');
    await next.ready();
    // And the limit holds again with it open; the refused connection never counted.
    const again = broker.connect('guest');
    expect(await again.open()).toEqual([connectionClose(ReplyCode.NotAllowed, vhostLimitText('guest', 1), 10, 40)]);
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
    expect(await c.open()).toEqual([connectionClose(ReplyCode.NotAllowed, vhostLimitText('bob', 2), 10, 40)]);
    await acknowledgeRefusal(c);
    await a.close();
    await b.close();
  });

  test('max-connections 0 refuses every connection; a negative limit is unlimited', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-connections': 0 });
    const c = broker.connect('guest');
    expect(await c.open()).toEqual([connectionClose(ReplyCode.NotAllowed, vhostLimitText('guest', 0), 10, 40)]);
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
  test('with max-connections 1 the same user is refused 530 (10, 40) on any vhost; other users are not', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-connections': 1 });
    const first = broker.connect('alice');
    await first.ready();
    for (const vhost of ['/', 'other']) {
      const refused = broker.connect('alice', vhost);
      expect(await refused.open()).toEqual([connectionClose(ReplyCode.NotAllowed, userLimitText('alice', 1), 10, 40)]);
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
    expect(await c.open()).toEqual([connectionClose(ReplyCode.NotAllowed, userLimitText('alice', 0), 10, 40)]);
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
    expect(await second.open()).toEqual([connectionClose(ReplyCode.NotAllowed, vhostLimitText('alice', 1), 10, 40)]);
    await acknowledgeRefusal(second);
    await first.close();
  });
});

describe('Limits: user max-channels', () => {
  test('with max-channels 2 the third channel.open closes the connection with 530 (20, 10)', async () => {
    const broker = new Broker();
    broker.access.setUserLimits('alice', { 'max-channels': 2 });
    const c = broker.connect('alice');
    await c.ready();
    expect(await c.call(channelOpen(2))).toEqual([openOk(2)]);
    expect(await c.call(channelOpen(3))).toEqual([connectionClose(ReplyCode.NotAllowed, channelLimitText('alice', 2), 20, 10)]);
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
    expect(await a.call(channelOpen(2))).toEqual([connectionClose(ReplyCode.NotAllowed, channelLimitText('alice', 2), 20, 10)]);
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
    expect(await c.call(channelOpen(1))).toEqual([connectionClose(ReplyCode.NotAllowed, channelLimitText('alice', 0), 20, 10)]);
    await acknowledgeRefusal(c);

    broker.access.setUserLimits('alice', { 'max-channels': -1 });
    const d = broker.connect('alice');
    await d.ready();
    expect(await d.call(channelOpen(2), channelOpen(3))).toEqual([openOk(2), openOk(3)]);
    await d.close();
  });
});

// ---- queue limits -----------------------------------------------------------------------------------

describe('Limits: vhost max-queues', () => {
  test('with max-queues 1 a second queue.declare is 406 (50, 10); re-declaring the existing queue still works', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-queues': 1 });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'q1'))).toEqual([declareOk('q1')]);
    expect(await c.call(queueDeclare(1, 'q2'))).toEqual([channelClosed(ReplyCode.PreconditionFailed, queueLimitText('q2', 1), 50, 10)]);
    expect([...broker.root.queues.keys()]).toEqual(['q1']);
    await c.call(...reopen());
    expect(await c.call(queueDeclare(1, 'q1'), queueDeclare(1, 'q1', { passive: true }))).toEqual([declareOk('q1'), declareOk('q1')]);
    // Deleting the queue frees the slot.
    expect(await c.call(queueDelete(1, 'q1'))).toEqual([{ channel: 1, method: 'queue.delete-ok', args: { messageCount: 0 } }]);
    expect(await c.call(queueDeclare(1, 'q2'))).toEqual([declareOk('q2')]);
    await c.close();
  });

  test('queues declared elsewhere count; a server-named queue is refused under its generated name', async () => {
    const broker = new Broker();
    seedQueue(broker.root, 'theirs');
    broker.vhosts.setLimits('/', { 'max-queues': 1 });
    const c = broker.connect('guest');
    await c.ready();
    const [close, ...rest] = await c.call(queueDeclare(1, ''));
    expect(rest).toEqual([]);
    expect(close).toEqual(
      channelClosed(
        ReplyCode.PreconditionFailed,
        expect.stringMatching(/^PRECONDITION_FAILED - cannot declare queue 'amq\.gen-[A-Za-z0-9_-]+': queue limit in vhost '\/' \(1\) is reached$/) as unknown as string,
        50,
        10,
      ),
    );
    expect([...broker.root.queues.keys()]).toEqual(['theirs']);
    await c.close();
  });

  test('max-queues 0 refuses every new queue, exclusive ones too; passive declare of an existing one works', async () => {
    const broker = new Broker();
    seedQueue(broker.root, 'pre');
    broker.vhosts.setLimits('/', { 'max-queues': 0 });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'q'))).toEqual([channelClosed(ReplyCode.PreconditionFailed, queueLimitText('q', 0), 50, 10)]);
    await c.call(...reopen());
    expect(await c.call(queueDeclare(1, 'ex', { exclusive: true }))).toEqual([
      channelClosed(ReplyCode.PreconditionFailed, queueLimitText('ex', 0), 50, 10),
    ]);
    await c.call(...reopen());
    expect(await c.call(queueDeclare(1, 'pre', { passive: true }))).toEqual([declareOk('pre')]);
    expect([...broker.root.queues.keys()]).toEqual(['pre']);
    await c.close();
  });

  test('the limit is per vhost and a negative limit is unlimited', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-queues': 0 });
    broker.vhosts.setLimits('other', { 'max-queues': -1 });
    const c = broker.connect('guest', 'other');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'a'), queueDeclare(1, 'b'), queueDeclare(1, 'c'))).toEqual([declareOk('a'), declareOk('b'), declareOk('c')]);
    await c.close();
  });
});

// ---- topic permissions ------------------------------------------------------------------------------

describe('Topic permissions over AMQP', () => {
  function setup(): Broker {
    const broker = new Broker();
    broker.access.setTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '^allowed\\.', read: '^allowed\\.' });
    seedQueue(broker.root, 'q');
    return broker;
  }

  test('publishing to amq.topic with a forbidden routing key is 403 (60, 40) and routes nothing; an allowed key delivers', async () => {
    const broker = setup();
    broker.root.bindQueue('q', 'amq.topic', '#', {}, ELSEWHERE);
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(...publish(1, 'amq.topic', 'denied.x'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('write', 'denied.x', 'guest'), 60, 40),
    ]);
    await c.call(...reopen());
    expect((await c.call(basicGet(1, 'q'))).map((f) => f.method)).toEqual(['basic.get-empty']);

    expect(await c.call(...publish(1, 'amq.topic', 'allowed.x', 'payload'))).toEqual([]);
    const got = await c.call(basicGet(1, 'q'));
    expect(got.map((f) => f.method)).toEqual(['basic.get-ok', undefined, undefined]);
    expect(got[0]?.args).toMatchObject({ exchange: 'amq.topic', routingKey: 'allowed.x' });
    await c.close();
  });

  test('another user, or the same user on another topic exchange, is not restricted', async () => {
    const broker = setup();
    broker.root.declareExchange({ name: 'my.topic', type: 'topic', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
    broker.root.bindQueue('q', 'amq.topic', '#', {}, ELSEWHERE);
    broker.root.bindQueue('q', 'my.topic', '#', {}, ELSEWHERE);
    const guest = broker.connect('guest');
    await guest.ready();
    expect(await guest.call(...publish(1, 'my.topic', 'denied.x'))).toEqual([]);
    const alice = broker.connect('alice');
    await alice.ready();
    expect(await alice.call(...publish(1, 'amq.topic', 'denied.y'))).toEqual([]);
    expect(broker.root.queues.get('q')?.messageCount).toBe(2);
    await guest.close();
    await alice.close();
  });

  test('a non-topic exchange is not topic-checked, even with an entry naming it', async () => {
    const broker = setup();
    broker.access.setTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.direct', write: '^$', read: '^$' });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueBind(1, 'q', 'amq.direct', 'denied'))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(await c.call(...publish(1, 'amq.direct', 'denied'))).toEqual([]);
    expect(await c.call(queueUnbind(1, 'q', 'amq.direct', 'denied'))).toEqual([{ channel: 1, method: 'queue.unbind-ok', args: {} }]);
    const got = await c.call(basicGet(1, 'q'));
    expect(got[0]?.method).toBe('basic.get-ok');
    expect(got[0]?.args).toMatchObject({ exchange: 'amq.direct', routingKey: 'denied' });
    await c.close();
  });

  test('queue.bind to amq.topic with a forbidden key is 403 (50, 20) and binds nothing; an allowed key binds', async () => {
    const broker = setup();
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueBind(1, 'q', 'amq.topic', 'denied.#'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.#', 'guest'), 50, 20),
    ]);
    await c.call(...reopen());
    expect(await c.call(queueBind(1, 'q', 'amq.topic', 'allowed.#'))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual(['amq.topic -[allowed.#]-> queue:q']);
    await c.close();
  });

  test('queue.unbind from amq.topic with a forbidden key is 403 (50, 50) and the binding stays', async () => {
    const broker = setup();
    broker.root.bindQueue('q', 'amq.topic', 'denied.#', {}, ELSEWHERE);
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueUnbind(1, 'q', 'amq.topic', 'denied.#'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.#', 'guest'), 50, 50),
    ]);
    expect(bindingsOf(broker.root)).toEqual(['amq.topic -[denied.#]-> queue:q']);
    await c.close();
  });

  test('exchange.bind / unbind with a topic source check the key: 403 (40, 30) and (40, 40)', async () => {
    const broker = setup();
    broker.root.declareExchange({ name: 'dest', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'denied.*'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.*', 'guest'), 40, 30),
    ]);
    await c.call(...reopen());
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'allowed.*'))).toEqual([{ channel: 1, method: 'exchange.bind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual(['amq.topic -[allowed.*]-> exchange:dest']);
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'denied.*', true))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.*', 'guest'), 40, 40),
    ]);
    await c.call(...reopen());
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'allowed.*', true))).toEqual([{ channel: 1, method: 'exchange.unbind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual([]);
    // A fanout source is not topic-checked, even with an entry naming it.
    broker.access.setTopicPermission({ user: 'guest', vhost: '/', exchange: 'src', write: '^$', read: '^$' });
    broker.root.declareExchange({ name: 'src', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
    expect(await c.call(exchangeBind(1, 'dest', 'src', 'denied.*'))).toEqual([{ channel: 1, method: 'exchange.bind-ok', args: {} }]);
    await c.close();
  });

  test('{username} and {client_id} (the connection_name client property) are expanded for the connection', async () => {
    const broker = new Broker();
    seedQueue(broker.root, 'q');
    broker.root.bindQueue('q', 'amq.topic', '#', {}, ELSEWHERE);
    broker.access.setTopicPermission({ user: 'alice', vhost: '/', exchange: 'amq.topic', write: '^{username}\\.{client_id}\\.', read: '' });
    const c = broker.connect('alice', '/', { product: 'test', connection_name: 'app-1' });
    await c.ready();
    expect(await c.call(...publish(1, 'amq.topic', 'alice.app-1.x'))).toEqual([]);
    expect(await c.call(...publish(1, 'amq.topic', 'alice.app-2.x'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('write', 'alice.app-2.x', 'alice'), 60, 40),
    ]);
    await c.call(...reopen());
    // read '' means only the empty binding key.
    expect(await c.call(queueBind(1, 'q', 'amq.topic', ''))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(await c.call(queueBind(1, 'q', 'amq.topic', 'x'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'x', 'alice'), 50, 20),
    ]);
    expect(broker.root.queues.get('q')?.messageCount).toBe(1);
    await c.close();
  });

  test('a topic permission set while connected applies to the next publish', async () => {
    const broker = new Broker();
    seedQueue(broker.root, 'q');
    broker.root.bindQueue('q', 'amq.topic', '#', {}, ELSEWHERE);
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(...publish(1, 'amq.topic', 'k'))).toEqual([]);
    broker.access.setTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '^z$', read: '.*' });
    expect(await c.call(...publish(1, 'amq.topic', 'k'))).toEqual([channelClosed(ReplyCode.AccessRefused, topicRefused('write', 'k', 'guest'), 60, 40)]);
    expect(broker.root.queues.get('q')?.messageCount).toBe(1);
    await c.close();
  });
});
