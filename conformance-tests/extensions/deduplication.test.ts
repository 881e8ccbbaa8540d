/**
 * Leveret extension: message de-duplication with LavinMQ's API.
 *
 * Queue arguments x-message-deduplication: true, x-cache-size (how many keys are remembered, oldest evicted first),
 * optional x-cache-ttl (ms a key is remembered) and x-deduplication-header (the header holding the key; default
 * 'x-deduplication-header'). The same arguments on an exchange of any type de-duplicate before routing. A message's
 * key is that header's value, else its message-id; a message with neither is never a duplicate. A per-message
 * x-cache-ttl header overrides the ttl for that message's key. A duplicate published to a de-duplicating exchange
 * is dropped without routing (confirmed with an ack, never returned); a duplicate arriving at a de-duplicating
 * queue is not enqueued. Leveret only (the `extensions` jest project).
 */
import type * as amqp from 'amqplib';
import {
  cleanup,
  confirmChannel,
  connect,
  delay,
  drain,
  publishOutcome,
  setupBroker,
  uniqueName,
} from '../support/broker';

const broker = setupBroker();

const DEFAULT_HEADER = 'x-deduplication-header';

async function setup(): Promise<amqp.ConfirmChannel> {
  const conn = await connect(broker.url);
  return confirmChannel(conn);
}

/** A de-duplicating exclusive queue. */
async function dedupQueue(ch: amqp.Channel, extra: Record<string, unknown> = {}): Promise<string> {
  const { queue } = await ch.assertQueue('', {
    exclusive: true,
    arguments: { 'x-message-deduplication': true, 'x-cache-size': 100, ...extra },
  });
  return queue;
}

/** Publishes to the default exchange and waits for the confirm. */
async function send(ch: amqp.ConfirmChannel, queue: string, body: string, options: amqp.Options.Publish = {}): Promise<void> {
  expect(await publishOutcome(ch, '', queue, body, options)).toBe('ack');
}

describe('queue de-duplication (Leveret extension, LavinMQ API)', () => {
  test('a message whose message-id was seen is not enqueued; messages without a key always are', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch);
    await send(ch, q, 'a1', { messageId: 'a' });
    await send(ch, q, 'a2', { messageId: 'a' });
    await send(ch, q, 'b1', { messageId: 'b' });
    await send(ch, q, 'plain1');
    await send(ch, q, 'plain2');
    expect((await ch.checkQueue(q)).messageCount).toBe(4);
    expect(await drain(ch, q)).toEqual(['a1', 'b1', 'plain1', 'plain2']);
  });

  test('the key stays remembered after the message is consumed', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch);
    await send(ch, q, 'first', { messageId: 'k' });
    expect(await drain(ch, q)).toEqual(['first']);
    await send(ch, q, 'again', { messageId: 'k' });
    expect(await drain(ch, q)).toEqual([]);
  });

  test('the x-deduplication-header header is the key, and wins over message-id', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch);
    await send(ch, q, 'h1', { headers: { [DEFAULT_HEADER]: 'h' }, messageId: 'm' });
    // key 'm' (no header): not seen yet
    await send(ch, q, 'm1', { messageId: 'm' });
    // key 'h' again, whatever the message-id
    await send(ch, q, 'h2', { headers: { [DEFAULT_HEADER]: 'h' }, messageId: 'other' });
    await send(ch, q, 'k1', { headers: { [DEFAULT_HEADER]: 'k' } });
    await send(ch, q, 'k2', { headers: { [DEFAULT_HEADER]: 'k' } });
    expect(await drain(ch, q)).toEqual(['h1', 'm1', 'k1']);
  });

  test('x-deduplication-header names the header that holds the key', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch, { 'x-deduplication-header': 'order-id' });
    await send(ch, q, 'o1', { headers: { 'order-id': 'o-17' } });
    await send(ch, q, 'o2', { headers: { 'order-id': 'o-17' } });
    await send(ch, q, 'o3', { headers: { 'order-id': 'o-18' } });
    // the default header name means nothing here; with no message-id these have no key
    await send(ch, q, 'd1', { headers: { [DEFAULT_HEADER]: 'same' } });
    await send(ch, q, 'd2', { headers: { [DEFAULT_HEADER]: 'same' } });
    expect(await drain(ch, q)).toEqual(['o1', 'o3', 'd1', 'd2']);
  });

  test('after x-cache-ttl a key is accepted again', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch, { 'x-cache-ttl': 200 });
    await send(ch, q, 'first', { messageId: 'k' });
    await send(ch, q, 'duplicate', { messageId: 'k' });
    await delay(320);
    await send(ch, q, 'after-ttl', { messageId: 'k' });
    await send(ch, q, 'duplicate-again', { messageId: 'k' });
    expect(await drain(ch, q)).toEqual(['first', 'after-ttl']);
  });

  test('a per-message x-cache-ttl header overrides the queue\'s ttl for that key', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch, { 'x-cache-ttl': 60000 });
    await send(ch, q, 'short-lived', { messageId: 's', headers: { 'x-cache-ttl': 100 } });
    await send(ch, q, 'long-lived', { messageId: 'l' });
    await delay(220);
    await send(ch, q, 's-again', { messageId: 's' });
    await send(ch, q, 'l-again', { messageId: 'l' });
    expect(await drain(ch, q)).toEqual(['short-lived', 'long-lived', 's-again']);
  });

  test('x-cache-size bounds the remembered keys; the oldest is forgotten first', async () => {
    const ch = await setup();
    const q = await dedupQueue(ch, { 'x-cache-size': 2 });
    for (const k of ['a', 'b', 'c']) await send(ch, q, k, { messageId: k });
    // a was evicted by c; b and c are remembered
    await send(ch, q, 'a-again', { messageId: 'a' });
    // remembering a again evicted b; c is still remembered
    await send(ch, q, 'c-again', { messageId: 'c' });
    await send(ch, q, 'b-again', { messageId: 'b' });
    expect(await drain(ch, q)).toEqual(['a', 'b', 'c', 'a-again', 'b-again']);
  });

  test('a de-duplicating queue does not affect other queues the message is routed to', async () => {
    const ch = await setup();
    const x = cleanup.exchange(uniqueName('fan'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    const deduped = await dedupQueue(ch);
    const { queue: plain } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(deduped, x, '');
    await ch.bindQueue(plain, x, '');
    for (const b of ['one', 'two']) expect(await publishOutcome(ch, x, '', b, { messageId: 'same' })).toBe('ack');
    expect(await drain(ch, deduped)).toEqual(['one']);
    expect(await drain(ch, plain)).toEqual(['one', 'two']);
  });
});

describe('exchange de-duplication (Leveret extension, LavinMQ API)', () => {
  async function dedupExchange(ch: amqp.Channel, type: string, extra: Record<string, unknown> = {}): Promise<string> {
    const x = cleanup.exchange(uniqueName('dedup'));
    await ch.assertExchange(x, type, { durable: false, arguments: { 'x-message-deduplication': true, 'x-cache-size': 100, ...extra } });
    return x;
  }

  test.each(['direct', 'fanout', 'topic'])('a %s exchange drops a duplicate before routing; it is confirmed with an ack', async (type) => {
    const ch = await setup();
    const x = await dedupExchange(ch, type);
    const { queue: a } = await ch.assertQueue('', { exclusive: true });
    const { queue: b } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(a, x, 'k');
    await ch.bindQueue(b, x, 'k');
    expect(await publishOutcome(ch, x, 'k', 'first', { messageId: 'id-1' })).toBe('ack');
    expect(await publishOutcome(ch, x, 'k', 'dup', { messageId: 'id-1' })).toBe('ack');
    expect(await publishOutcome(ch, x, 'k', 'second', { messageId: 'id-2' })).toBe('ack');
    expect(await publishOutcome(ch, x, 'k', 'no-key')).toBe('ack');
    expect(await publishOutcome(ch, x, 'k', 'no-key')).toBe('ack');
    expect(await drain(ch, a)).toEqual(['first', 'second', 'no-key', 'no-key']);
    expect(await drain(ch, b)).toEqual(['first', 'second', 'no-key', 'no-key']);
  });

  test('a mandatory duplicate is dropped silently: no basic.return, an ack', async () => {
    const ch = await setup();
    const returned: string[] = [];
    ch.on('return', (m: amqp.Message) => returned.push(m.content.toString()));
    const x = await dedupExchange(ch, 'direct');
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, x, 'k');
    expect(await publishOutcome(ch, x, 'k', 'first', { messageId: 'm', mandatory: true })).toBe('ack');
    expect(await publishOutcome(ch, x, 'k', 'dup', { messageId: 'm', mandatory: true })).toBe('ack');
    expect(returned).toEqual([]);
    expect(await drain(ch, queue)).toEqual(['first']);
  });

  test('the exchange remembers keys whether or not the first message was routed', async () => {
    const ch = await setup();
    const x = await dedupExchange(ch, 'direct');
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, x, 'bound');
    expect(await publishOutcome(ch, x, 'unbound', 'nowhere', { messageId: 'm' })).toBe('ack');
    expect(await publishOutcome(ch, x, 'bound', 'dup', { messageId: 'm' })).toBe('ack');
    expect(await publishOutcome(ch, x, 'bound', 'fresh', { messageId: 'n' })).toBe('ack');
    expect(await drain(ch, queue)).toEqual(['fresh']);
  });

  test('exchange de-duplication honours x-deduplication-header, x-cache-ttl and the per-message x-cache-ttl header', async () => {
    const ch = await setup();
    const x = await dedupExchange(ch, 'fanout', { 'x-deduplication-header': 'event-id', 'x-cache-ttl': 200 });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, x, '');
    const pub = (body: string, headers: Record<string, unknown>): Promise<'ack' | 'nack'> => publishOutcome(ch, x, '', body, { headers });
    expect(await pub('e1', { 'event-id': 'e' })).toBe('ack');
    expect(await pub('e1-dup', { 'event-id': 'e' })).toBe('ack');
    expect(await pub('f1', { 'event-id': 'f', 'x-cache-ttl': 60000 })).toBe('ack');
    await delay(320);
    expect(await pub('e2', { 'event-id': 'e' })).toBe('ack');
    expect(await pub('f1-dup', { 'event-id': 'f' })).toBe('ack');
    expect(await drain(ch, queue)).toEqual(['e1', 'f1', 'e2']);
  });

  test('x-cache-size bounds an exchange\'s remembered keys too', async () => {
    const ch = await setup();
    const x = await dedupExchange(ch, 'fanout', { 'x-cache-size': 2 });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, x, '');
    for (const k of ['a', 'b', 'c', 'a', 'c']) expect(await publishOutcome(ch, x, '', k, { messageId: k })).toBe('ack');
    expect(await drain(ch, queue)).toEqual(['a', 'b', 'c', 'a']);
  });
});
