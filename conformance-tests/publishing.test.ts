/**
 * Publishing features RabbitMQ adds: sender-selected distribution (the CC and BCC headers) and direct reply-to
 * (the amq.rabbitmq.reply-to pseudo-queue), including their errors. RabbitMQ 3.10 is the judge: every test here
 * passes against it.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import {
  channel,
  cleanup,
  confirmChannel,
  connect,
  delay,
  drain,
  expectChannelClose,
  getOne,
  headersOf,
  Inbox,
  open,
  publishOutcome,
  setupBroker,
  uniqueName,
  waitForReady,
} from './support/broker';

const broker = setupBroker();

const REPLY_TO = 'amq.rabbitmq.reply-to';
/** What a responder sees in reply_to: the pseudo-queue name, then two base64 parts (RabbitMQ 3.10). */
const REPLY_TO_KEY = /^amq\.rabbitmq\.reply-to\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/;

describe('sender-selected distribution (CC and BCC headers)', () => {
  test('CC keys route the message too; one copy per queue; the CC header is delivered and the routing key is the published one (RabbitMQ: sender-selected distribution)', async () => {
    const { ch } = await open(broker.url);
    const [a, b, c] = [await ch.assertQueue('', { exclusive: true }), await ch.assertQueue('', { exclusive: true }), await ch.assertQueue('', { exclusive: true })];
    await ch.bindQueue(a.queue, 'amq.topic', 'a.key');
    await ch.bindQueue(b.queue, 'amq.topic', 'b.*');
    await ch.bindQueue(c.queue, 'amq.topic', 'c.#');
    ch.publish('amq.topic', 'a.key', Buffer.from('m'), { CC: ['b.x', 'b.y', 'a.key'], headers: { keep: 1 } });
    for (const q of [a.queue, b.queue]) {
      const m = await getOne(ch, q);
      expect(m.content.toString()).toBe('m');
      expect(m.fields.routingKey).toBe('a.key');
      expect(headersOf(m)).toEqual({ CC: ['b.x', 'b.y', 'a.key'], keep: 1 });
    }
    await delay(50);
    // b matched twice (b.x, b.y) and a twice (key and CC): still one copy each; c matched nothing
    expect(await drain(ch, a.queue)).toEqual([]);
    expect(await drain(ch, b.queue)).toEqual([]);
    expect(await drain(ch, c.queue)).toEqual([]);
  });

  test('BCC keys route the message but the BCC header is removed from every copy (RabbitMQ: sender-selected distribution)', async () => {
    const { ch } = await open(broker.url);
    const [a, b, c] = [await ch.assertQueue('', { exclusive: true }), await ch.assertQueue('', { exclusive: true }), await ch.assertQueue('', { exclusive: true })];
    await ch.bindQueue(a.queue, 'amq.direct', 'ka');
    await ch.bindQueue(b.queue, 'amq.direct', 'kb');
    await ch.bindQueue(c.queue, 'amq.direct', 'kc');
    ch.publish('amq.direct', 'ka', Buffer.from('m'), { CC: ['kb'], BCC: ['kc'] });
    const got = [await getOne(ch, a.queue), await getOne(ch, b.queue), await getOne(ch, c.queue)];
    for (const m of got) {
      expect(m.fields.routingKey).toBe('ka');
      expect(headersOf(m)).toEqual({ CC: ['kb'] });
    }
    // reached through BCC alone: delivered, with no trace of it
    ch.publish('amq.direct', 'nobody', Buffer.from('hidden'), { BCC: 'kc' });
    const hidden = await getOne(ch, c.queue);
    expect(hidden.content.toString()).toBe('hidden');
    expect(headersOf(hidden)).toEqual({});
  });

  test('CC keys are routed through the same exchange: through the default exchange they name queues (RabbitMQ: sender-selected distribution)', async () => {
    const { ch } = await open(broker.url);
    const a = await ch.assertQueue('', { exclusive: true });
    const b = await ch.assertQueue('', { exclusive: true });
    const fanned = await ch.assertQueue('', { exclusive: true });
    ch.publish('', a.queue, Buffer.from('direct'), { CC: [b.queue] });
    expect((await getOne(ch, b.queue)).fields.routingKey).toBe(a.queue);
    expect((await getOne(ch, a.queue)).content.toString()).toBe('direct');
    // a fanout ignores keys: CC does not reach a queue bound elsewhere
    const x = cleanup.exchange(uniqueName('fan'));
    await ch.assertExchange(x, 'fanout', { durable: false });
    await ch.bindQueue(fanned.queue, x, '');
    ch.publish(x, 'whatever', Buffer.from('fan'), { CC: [b.queue] });
    await waitForReady(ch, fanned.queue, 1);
    await delay(50);
    expect(await drain(ch, b.queue)).toEqual([]);
  });

  test('an unroutable mandatory publish with CC is returned with its CC header (RabbitMQ: sender-selected distribution and basic.return)', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const returned: amqp.Message[] = [];
    ch.on('return', (m: amqp.Message) => returned.push(m));
    expect(await publishOutcome(ch, 'amq.topic', uniqueName('none'), 'lost', { mandatory: true, CC: ['no.such.key'] })).toBe('ack');
    expect(returned).toHaveLength(1);
    expect(returned[0]?.fields).toEqual(expect.objectContaining({ replyCode: Reply.NO_ROUTE, replyText: 'NO_ROUTE', exchange: 'amq.topic' }));
    expect(headersOf(returned[0] as amqp.Message)).toEqual({ CC: ['no.such.key'] });
  });

  test('a CC header that is not an array closes the channel with 406 (RabbitMQ: sender-selected distribution)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(
      ch,
      () => ch.publish('amq.direct', 'k', Buffer.from('x'), { headers: { CC: 'k2' } }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}',
    );
  });

  test('a BCC header that is not an array closes the channel with 406 (RabbitMQ: sender-selected distribution)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(
      ch,
      () => ch.publish('amq.direct', 'k', Buffer.from('x'), { headers: { BCC: 5 } }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"BCC",byte}',
    );
  });
});

describe('direct reply-to (amq.rabbitmq.reply-to)', () => {
  /** A responder on its own connection: answers every request on `queue` with "re:<body>" to its reply_to. */
  async function responder(): Promise<{ queue: string; seen: amqp.ConsumeMessage[] }> {
    const { ch } = await open(broker.url);
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const seen: amqp.ConsumeMessage[] = [];
    await ch.consume(
      queue,
      (m) => {
        if (!m) return;
        seen.push(m);
        const replyTo = m.properties.replyTo as string;
        ch.sendToQueue(replyTo, Buffer.from(`re:${m.content.toString()}`), { correlationId: m.properties.correlationId as string });
      },
      { noAck: true },
    );
    return { queue, seen };
  }

  test('an RPC round trip: the responder sees a generated reply_to, the reply reaches the requester\'s no-ack consumer (RabbitMQ: direct reply-to)', async () => {
    const server = await responder();
    const { ch } = await open(broker.url);
    const inbox = new Inbox();
    const { consumerTag } = await ch.consume(REPLY_TO, inbox.onMessage, { noAck: true });
    ch.sendToQueue(server.queue, Buffer.from('ping'), { replyTo: REPLY_TO, correlationId: 'c-1' });
    ch.sendToQueue(server.queue, Buffer.from('ping2'), { replyTo: REPLY_TO, correlationId: 'c-2' });
    const [r1, r2] = (await inbox.waitFor(2)) as [amqp.ConsumeMessage, amqp.ConsumeMessage];
    const replyTo = server.seen[0]?.properties.replyTo as string;
    expect(replyTo).toMatch(REPLY_TO_KEY);
    // the same requesting channel gets the same reply address
    expect(server.seen[1]?.properties.replyTo).toBe(replyTo);
    expect([r1.content.toString(), r1.properties.correlationId]).toEqual(['re:ping', 'c-1']);
    expect([r2.content.toString(), r2.properties.correlationId]).toEqual(['re:ping2', 'c-2']);
    expect(r1.fields).toEqual(expect.objectContaining({ consumerTag, exchange: '', routingKey: replyTo, redelivered: false }));
  });

  test('an explicit consumer tag on the reply consumer is kept (RabbitMQ: direct reply-to)', async () => {
    const server = await responder();
    const { ch } = await open(broker.url);
    const inbox = new Inbox();
    expect(await ch.consume(REPLY_TO, inbox.onMessage, { noAck: true, consumerTag: 'my-replies' })).toEqual({ consumerTag: 'my-replies' });
    ch.sendToQueue(server.queue, Buffer.from('q'), { replyTo: REPLY_TO });
    const [r] = await inbox.waitFor(1);
    expect(r?.fields.consumerTag).toBe('my-replies');
  });

  test('consuming from amq.rabbitmq.reply-to with acknowledgements closes the channel with 406 (RabbitMQ: direct reply-to)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(
      ch,
      () => ch.consume(REPLY_TO, () => undefined, { noAck: false }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - reply consumer cannot acknowledge',
    );
  });

  test('a second reply consumer on the same channel closes the channel with 406 (RabbitMQ: direct reply-to)', async () => {
    const { ch } = await open(broker.url);
    await ch.consume(REPLY_TO, () => undefined, { noAck: true });
    await expectChannelClose(
      ch,
      () => ch.consume(REPLY_TO, () => undefined, { noAck: true }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - reply consumer already set',
    );
  });

  test('publishing with reply_to amq.rabbitmq.reply-to and no reply consumer on the channel closes it with 406 (RabbitMQ: direct reply-to)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    await expectChannelClose(
      ch,
      () => ch.sendToQueue(q.queue, Buffer.from('x'), { replyTo: REPLY_TO }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - fast reply consumer does not exist',
    );
  });

  test('the reply consumer must be on the publishing channel: one on another channel does not count; a cancelled one neither', async () => {
    const conn = await connect(broker.url);
    const holder = await channel(conn);
    await holder.consume(REPLY_TO, () => undefined, { noAck: true });
    const publisher = await channel(conn);
    const { queue } = await holder.assertQueue('', { exclusive: true });
    await expectChannelClose(
      publisher,
      () => publisher.sendToQueue(queue, Buffer.from('x'), { replyTo: REPLY_TO }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - fast reply consumer does not exist',
    );
    // a reply consumer that was cancelled does not count either
    const again = await channel(conn);
    const { consumerTag } = await again.consume(REPLY_TO, () => undefined, { noAck: true });
    await again.cancel(consumerTag);
    await expectChannelClose(
      again,
      () => again.sendToQueue(queue, Buffer.from('x'), { replyTo: REPLY_TO }),
      Reply.PRECONDITION_FAILED,
      'PRECONDITION_FAILED - fast reply consumer does not exist',
    );
  });

  test('queue.declare of amq.rabbitmq.reply-to (passive or not) answers message count 0, consumer count 1 (RabbitMQ: direct reply-to)', async () => {
    const { ch } = await open(broker.url);
    expect(await ch.checkQueue(REPLY_TO)).toEqual({ queue: REPLY_TO, messageCount: 0, consumerCount: 1 });
    expect(await ch.assertQueue(REPLY_TO)).toEqual({ queue: REPLY_TO, messageCount: 0, consumerCount: 1 });
  });

  test('a passive declare of a live reply address succeeds; of a stale or made-up one, 404 (RabbitMQ: direct reply-to)', async () => {
    const server = await responder();
    const conn = await connect(broker.url);
    const requester = await channel(conn);
    const inbox = new Inbox();
    await requester.consume(REPLY_TO, inbox.onMessage, { noAck: true });
    requester.sendToQueue(server.queue, Buffer.from('q'), { replyTo: REPLY_TO });
    await inbox.waitFor(1);
    const replyTo = server.seen[0]?.properties.replyTo as string;
    const checker = await channel(conn);
    expect(await checker.checkQueue(replyTo)).toEqual({ queue: replyTo, messageCount: 0, consumerCount: 1 });
    await requester.close();
    await expectChannelClose(checker, () => checker.checkQueue(replyTo), Reply.NOT_FOUND, `NOT_FOUND - no queue '${replyTo}' in vhost '/'`);
    const other = await channel(conn);
    await expectChannelClose(
      other,
      () => other.checkQueue(`${REPLY_TO}.abc`),
      Reply.NOT_FOUND,
      `NOT_FOUND - no queue '${REPLY_TO}.abc' in vhost '/'`,
    );
  });

  test('basic.get from amq.rabbitmq.reply-to closes the channel with 404 (RabbitMQ: direct reply-to)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(ch, () => ch.get(REPLY_TO), Reply.NOT_FOUND, `NOT_FOUND - no queue '${REPLY_TO}' in vhost '/'`);
  });

  test('a reply to an address whose requester is gone is dropped; with mandatory it is returned 312 NO_ROUTE (RabbitMQ: direct reply-to)', async () => {
    const server = await responder();
    const conn = await connect(broker.url);
    const requester = await channel(conn);
    const inbox = new Inbox();
    await requester.consume(REPLY_TO, inbox.onMessage, { noAck: true });
    requester.sendToQueue(server.queue, Buffer.from('q'), { replyTo: REPLY_TO });
    await inbox.waitFor(1);
    const replyTo = server.seen[0]?.properties.replyTo as string;
    await requester.close();
    const late = await confirmChannel(conn);
    const returned: amqp.Message[] = [];
    late.on('return', (m: amqp.Message) => returned.push(m));
    expect(await publishOutcome(late, '', replyTo, 'too late')).toBe('ack');
    expect(returned).toEqual([]);
    expect(await publishOutcome(late, '', replyTo, 'too late, mandatory', { mandatory: true })).toBe('ack');
    expect(returned).toHaveLength(1);
    expect(returned[0]?.fields).toEqual(expect.objectContaining({ replyCode: Reply.NO_ROUTE, replyText: 'NO_ROUTE', exchange: '', routingKey: replyTo }));
    expect(returned[0]?.content.toString()).toBe('too late, mandatory');
    // a made-up address is just as unroutable
    expect(await publishOutcome(late, '', `${REPLY_TO}.garbage`, 'nobody', { mandatory: true })).toBe('ack');
    expect(returned[1]?.fields).toEqual(expect.objectContaining({ replyCode: Reply.NO_ROUTE, routingKey: `${REPLY_TO}.garbage` }));
    expect(inbox.messages).toHaveLength(1);
  });

  test('replies go through the default exchange only: the same key on amq.direct reaches nobody (RabbitMQ: direct reply-to)', async () => {
    const server = await responder();
    const conn = await connect(broker.url);
    const requester = await channel(conn);
    const inbox = new Inbox();
    await requester.consume(REPLY_TO, inbox.onMessage, { noAck: true });
    requester.sendToQueue(server.queue, Buffer.from('q'), { replyTo: REPLY_TO });
    await inbox.waitFor(1);
    const replyTo = server.seen[0]?.properties.replyTo as string;
    const other = await confirmChannel(conn);
    other.publish('amq.direct', replyTo, Buffer.from('via amq.direct'));
    other.publish('', replyTo, Buffer.from('via default'));
    await other.waitForConfirms();
    await inbox.waitFor(2);
    await delay(50);
    expect(inbox.bodies()).toEqual(['re:q', 'via default']);
  });
});
