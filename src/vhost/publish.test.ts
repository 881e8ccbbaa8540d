import type { Message } from '../queue/message';
import type { Queue } from '../queue/queue';
import { DelayedScheduler } from '../delayed/scheduler';
import { encodeBasicProperties } from '../protocol/generated/amqp';
import { AmqpError } from '../protocol/amqp-error';
import { MemoryStore } from '../store/memory';
import { PUBLISH_DUPLICATE, PUBLISH_HELD, senderRouting } from './publish';
import { VirtualHost } from './vhost';

const OWNER = {};

function message(body: string, properties: Parameters<typeof encodeBasicProperties>[0] = {}, routingKey = ''): Message {
  const bytes = encodeBasicProperties(properties);
  return { id: 0, persistent: false, exchange: '', routingKey, properties: bytes, body: Buffer.from(body), expiration: -1, headers: undefined };
}

function setup(): { vhost: VirtualHost; store: MemoryStore; held: string[] } {
  const store = new MemoryStore();
  const held: string[] = [];
  const scheduler = new DelayedScheduler(store, (record) => held.push(record.body.toString()));
  const vhost = new VirtualHost('/', store, undefined, scheduler);
  return { vhost, store, held };
}

function declareQueue(vhost: VirtualHost, name: string, args = {}): Queue {
  return vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: args }, OWNER);
}

function declareExchange(vhost: VirtualHost, name: string, type: string, args = {}): void {
  vhost.declareExchange({ name, type, passive: false, durable: false, autoDelete: false, internal: false, arguments: args });
}

describe('Publisher', () => {
  test('the default exchange routes by queue name, reply-to queues included, and counts in and out', () => {
    const { vhost } = setup();
    const q = declareQueue(vhost, 'q1');
    const publisher = vhost.publisher();
    expect(publisher.publish(vhost.exchangeOrDie(''), message('a', {}, 'q1'))).toBe(1);
    expect(publisher.publish(vhost.exchangeOrDie(''), message('b', {}, 'nowhere'))).toBe(0);
    const reply = declareQueue(vhost, 'stand-in');
    vhost.replyQueues.set('amq.rabbitmq.reply-to.x', reply);
    expect(publisher.publish(vhost.exchangeOrDie(''), message('c', {}, 'amq.rabbitmq.reply-to.x'))).toBe(1);
    expect(q.messageCount).toBe(1);
    expect(reply.messageCount).toBe(1);
    const stats = vhost.exchangeOrDie('').stats;
    expect([stats.publish_in, stats.publish_out]).toEqual([3, 2]);
  });

  test('a repeat on a de-duplicating exchange is PUBLISH_DUPLICATE and reaches no queue', () => {
    const { vhost } = setup();
    declareExchange(vhost, 'x', 'fanout', { 'x-message-deduplication': true, 'x-cache-size': 5 });
    const q = declareQueue(vhost, 'q');
    vhost.bindQueue('q', 'x', '', {}, OWNER);
    const publisher = vhost.publisher();
    expect(publisher.publish(vhost.exchangeOrDie('x'), message('1', { messageId: 'm' }))).toBe(1);
    expect(publisher.publish(vhost.exchangeOrDie('x'), message('2', { messageId: 'm' }))).toBe(PUBLISH_DUPLICATE);
    expect(q.messageCount).toBe(1);
  });

  test('a positive x-delay on a delayed exchange is PUBLISH_HELD; publishDue skips the hold', () => {
    const { vhost, store } = setup();
    declareExchange(vhost, 'd', 'x-delayed-message', { 'x-delayed-type': 'fanout' });
    const q = declareQueue(vhost, 'q');
    vhost.bindQueue('q', 'd', '', {}, OWNER);
    const publisher = vhost.publisher();
    const m = message('later', { headers: { 'x-delay': 60_000 } });
    expect(publisher.publish(vhost.exchangeOrDie('d'), m)).toBe(PUBLISH_HELD);
    expect(q.messageCount).toBe(0);
    expect(store.nextDelayedId()).toBeGreaterThan(1);
    expect(publisher.publishDue(vhost.exchangeOrDie('d'), m)).toBe(1);
    expect(q.messageCount).toBe(1);
  });

  test('routing keys route to each key once; refused and congested are reported to the caller', () => {
    const { vhost } = setup();
    declareExchange(vhost, 'x', 'direct');
    const a = declareQueue(vhost, 'a', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const b = declareQueue(vhost, 'b');
    vhost.bindQueue('a', 'x', 'ka', {}, OWNER);
    vhost.bindQueue('b', 'x', 'kb', {}, OWNER);
    vhost.bindQueue('b', 'x', 'ka', {}, OWNER);
    const congested: Queue[] = [];
    const publisher = vhost.publisher({ congested: (queue) => congested.push(queue) });
    expect(publisher.publish(vhost.exchangeOrDie('x'), message('m'), ['ka', 'kb'])).toBe(2);
    expect(publisher.refused).toBe(true);
    expect(a.messageCount).toBe(0);
    expect(b.messageCount).toBe(1);
    expect(publisher.publish(vhost.exchangeOrDie('x'), message('n'), ['kb'])).toBe(1);
    expect(publisher.refused).toBe(false);
    expect(congested).toEqual([]);
  });

  test('admit filters the queues that take the message', () => {
    const { vhost } = setup();
    declareExchange(vhost, 'f', 'fanout');
    const a = declareQueue(vhost, 'a');
    const b = declareQueue(vhost, 'b');
    vhost.bindQueue('a', 'f', '', {}, OWNER);
    vhost.bindQueue('b', 'f', '', {}, OWNER);
    const publisher = vhost.publisher({ admit: (queue) => queue.name !== 'a' });
    expect(publisher.publish(vhost.exchangeOrDie('f'), message('m'))).toBe(2);
    expect([a.messageCount, b.messageCount]).toEqual([0, 1]);
  });
});

describe('senderRouting', () => {
  test('no CC or BCC: the properties as they are and no extra keys', () => {
    const properties = encodeBasicProperties({ headers: { other: 'x' } });
    const routing = senderRouting('rk', properties);
    expect(routing.routingKeys).toBeUndefined();
    expect(routing.properties).toBe(properties);
  });

  test('CC and BCC keys follow the routing key; BCC is removed from the properties, CC kept', () => {
    const routing = senderRouting('rk', encodeBasicProperties({ contentType: 't', headers: { CC: ['c1', 'c2'], BCC: ['b1'] } }));
    expect(routing.routingKeys).toEqual(['rk', 'c1', 'c2', 'b1']);
    expect(routing.properties.equals(encodeBasicProperties({ contentType: 't', headers: { CC: ['c1', 'c2'] } }))).toBe(true);
  });

  test('a CC header that is not an array is 406 with RabbitMQ text', () => {
    expect(() => senderRouting('rk', encodeBasicProperties({ headers: { CC: 'c1' } }))).toThrow(AmqpError);
    expect(() => senderRouting('rk', encodeBasicProperties({ headers: { BCC: 5 } }))).toThrow(
      'invalid message: {unacceptable_type_in_header,"BCC",',
    );
  });
});
