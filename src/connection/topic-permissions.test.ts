/**
 * Topic permissions over AMQP: they check basic.publish (write) and queue/exchange bind/unbind (read) on topic
 * exchanges only, refusing with a 403 channel.close blaming the method.
 */
import { MethodId, ReplyCode } from '../protocol/generated/amqp';
import { FullAccessBroker as Broker, bindingsOf, seedQueue } from './test-support/brokers';
import { channelClosed, exchangeBind, queueBind, queueUnbind, reopen } from './test-support/frames';
import { ELSEWHERE, basicGet, publish } from './test-support/harness';

function topicRefused(kind: 'write' | 'read', routingKey: string, user: string, exchange = 'amq.topic'): string {
  return `ACCESS_REFUSED - access to topic '${routingKey}' in exchange '${exchange}' in vhost '/' refused for user '${user}'`;
}

describe('Topic permissions over AMQP', () => {
  function setup(): Broker {
    const broker = new Broker();
    broker.access.setTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '^allowed\\.', read: '^allowed\\.' });
    seedQueue(broker.root, 'q');
    return broker;
  }

  test('publishing to amq.topic with a forbidden routing key is 403 (basic.publish) and routes nothing; an allowed key delivers', async () => {
    const broker = setup();
    broker.root.bindQueue('q', 'amq.topic', '#', {}, ELSEWHERE);
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(...publish(1, 'amq.topic', 'denied.x'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('write', 'denied.x', 'guest'), MethodId.BasicPublish),
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

  test('queue.bind to amq.topic with a forbidden key is 403 (queue.bind) and binds nothing; an allowed key binds', async () => {
    const broker = setup();
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueBind(1, 'q', 'amq.topic', 'denied.#'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.#', 'guest'), MethodId.QueueBind),
    ]);
    await c.call(...reopen());
    expect(await c.call(queueBind(1, 'q', 'amq.topic', 'allowed.#'))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual(['amq.topic -[allowed.#]-> queue:q']);
    await c.close();
  });

  test('queue.unbind from amq.topic with a forbidden key is 403 (queue.unbind) and the binding stays', async () => {
    const broker = setup();
    broker.root.bindQueue('q', 'amq.topic', 'denied.#', {}, ELSEWHERE);
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueUnbind(1, 'q', 'amq.topic', 'denied.#'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.#', 'guest'), MethodId.QueueUnbind),
    ]);
    expect(bindingsOf(broker.root)).toEqual(['amq.topic -[denied.#]-> queue:q']);
    await c.close();
  });

  test('exchange.bind / unbind with a topic source check the key: 403 (exchange.bind) and (exchange.unbind)', async () => {
    const broker = setup();
    broker.root.declareExchange({ name: 'dest', type: 'fanout', passive: false, durable: false, autoDelete: false, internal: false, arguments: {} });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'denied.*'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.*', 'guest'), MethodId.ExchangeBind),
    ]);
    await c.call(...reopen());
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'allowed.*'))).toEqual([{ channel: 1, method: 'exchange.bind-ok', args: {} }]);
    expect(bindingsOf(broker.root)).toEqual(['amq.topic -[allowed.*]-> exchange:dest']);
    expect(await c.call(exchangeBind(1, 'dest', 'amq.topic', 'denied.*', true))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'denied.*', 'guest'), MethodId.ExchangeUnbind),
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
      channelClosed(ReplyCode.AccessRefused, topicRefused('write', 'alice.app-2.x', 'alice'), MethodId.BasicPublish),
    ]);
    await c.call(...reopen());
    // read '' means only the empty binding key.
    expect(await c.call(queueBind(1, 'q', 'amq.topic', ''))).toEqual([{ channel: 1, method: 'queue.bind-ok', args: {} }]);
    expect(await c.call(queueBind(1, 'q', 'amq.topic', 'x'))).toEqual([
      channelClosed(ReplyCode.AccessRefused, topicRefused('read', 'x', 'alice'), MethodId.QueueBind),
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
    expect(await c.call(...publish(1, 'amq.topic', 'k'))).toEqual([channelClosed(ReplyCode.AccessRefused, topicRefused('write', 'k', 'guest'), MethodId.BasicPublish)]);
    expect(broker.root.queues.get('q')?.messageCount).toBe(1);
    await c.close();
  });
});
