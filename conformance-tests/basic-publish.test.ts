/**
 * basic class, publishing: mandatory and non-mandatory unroutable messages (basic.return), message properties,
 * the validated user_id, large, empty and burst bodies.
 */
import type * as amqp from 'amqplib';
import { Reply } from './support/codes';
import { getNow, queueWith } from './support/basic';
import {
  cleanup,
  delay,
  expectChannelClose,
  Inbox,
  open,
  setupBroker,
  uniqueName,
  waitForReady,
} from './support/broker';

const broker = setupBroker();

describe('basic', () => {
  test('a mandatory unroutable message comes back as basic.return 312 NO_ROUTE with its body and properties (spec: basic.return)', async () => {
    const { ch } = await open(broker.url);
    const x = cleanup.exchange(uniqueName('x'));
    await ch.assertExchange(x, 'direct', { durable: false });
    const returned = new Promise<amqp.Message>((resolve) => ch.once('return', resolve));
    ch.publish(x, 'nobody', Buffer.from('bounce'), { mandatory: true, messageId: 'm-1', headers: { h: 'v' } });
    const r = await returned;
    expect(r.fields).toEqual({ replyCode: Reply.NO_ROUTE, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nobody' });
    expect(r.content.toString()).toBe('bounce');
    expect(r.properties.messageId).toBe('m-1');
    expect(r.properties.headers).toEqual({ h: 'v' });
  });

  test('a non-mandatory unroutable message is dropped silently (spec: basic.publish mandatory)', async () => {
    const { ch } = await open(broker.url);
    const returned: amqp.Message[] = [];
    ch.on('return', (m: amqp.Message) => returned.push(m));
    ch.publish('amq.direct', uniqueName('nobody'), Buffer.from('dropped'));
    const q = await ch.assertQueue('', { exclusive: true });
    await delay(50);
    expect(returned).toEqual([]);
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
  });

  test('a mandatory message to the default exchange naming a missing queue is returned NO_ROUTE', async () => {
    const { ch } = await open(broker.url);
    const returned = new Promise<amqp.Message>((resolve) => ch.once('return', resolve));
    const q = uniqueName('noq');
    ch.sendToQueue(q, Buffer.from('x'), { mandatory: true });
    expect((await returned).fields).toEqual({ replyCode: Reply.NO_ROUTE, replyText: 'NO_ROUTE', exchange: '', routingKey: q });
  });

  test('message properties and header values round-trip unchanged (spec: basic content properties)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const headers = {
      str: 'text',
      int: 42,
      neg: -7,
      big: 2 ** 40,
      float: 1.5,
      yes: true,
      no: false,
      nested: { a: 'b', n: 1 },
      list: ['x', 1, true],
      bytes: Buffer.from([0, 1, 2, 255]),
    };
    ch.sendToQueue(q.queue, Buffer.from('{"k":1}'), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-1',
      replyTo: 'reply.queue',
      expiration: '60000',
      messageId: 'msg-1',
      timestamp: 1700000000,
      type: 'test.type',
      userId: 'guest',
      appId: 'conformance',
    });
    await waitForReady(ch, q.queue, 1);
    const m = await getNow(ch, q.queue, true);
    expect(m.content.toString()).toBe('{"k":1}');
    expect(m.properties).toEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 2,
      priority: 5,
      correlationId: 'corr-1',
      replyTo: 'reply.queue',
      expiration: '60000',
      messageId: 'msg-1',
      timestamp: 1700000000,
      type: 'test.type',
      userId: 'guest',
      appId: 'conformance',
      clusterId: undefined,
    });
  });

  test('a message with no properties arrives with every property absent (amqplib always sends an empty headers table)', async () => {
    const { ch } = await open(broker.url);
    const q = await queueWith(ch, ['bare']);
    const m = await getNow(ch, q, true);
    const { headers, ...rest } = m.properties;
    expect(headers).toEqual({});
    expect(Object.values(rest).filter((v) => v !== undefined)).toEqual([]);
  });

  test('a user_id property that is not the authenticated user closes the channel with 406 (RabbitMQ: validated user-id)', async () => {
    const { ch } = await open(broker.url);
    await expectChannelClose(
      ch,
      () => ch.sendToQueue(uniqueName('q'), Buffer.from('x'), { userId: 'mallory' }),
      Reply.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'",
    );
  });

  test('a 1 MiB body spanning many frames arrives intact, by get and by consume (spec: content body frames)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    ch.sendToQueue(q.queue, body);
    ch.sendToQueue(q.queue, body);
    await waitForReady(ch, q.queue, 2);
    const got = await getNow(ch, q.queue, true);
    expect(got.content.length).toBe(body.length);
    expect(got.content.equals(body)).toBe(true);
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    const [m] = await inbox.waitFor(1);
    expect(m?.content.equals(body)).toBe(true);
  });

  test('an empty body is delivered as an empty body (spec: content with body-size 0)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.alloc(0), { messageId: 'empty' });
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    const [m] = await inbox.waitFor(1);
    expect(m?.content.length).toBe(0);
    expect(m?.properties.messageId).toBe('empty');
  });

  test('many messages published in a burst arrive complete and in order', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const inbox = new Inbox();
    await ch.consume(q.queue, inbox.onMessage, { noAck: true });
    const n = 2000;
    for (let i = 0; i < n; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await inbox.waitFor(n, 10000);
    expect(inbox.bodies()).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });
});
