/**
 * Leveret: one publish pipeline. A message that enters a vhost through the HTTP API's publish
 * (POST /api/exchanges/{vhost}/{exchange}/publish), through dead-lettering, or again when an x-delayed-message
 * exchange releases it, passes the same stages as basic.publish: exchange de-duplication, the delayed hold, the router,
 * CC/BCC keys (conformance-tests/http-publish.test.ts, run against RabbitMQ too), enqueue. Each test runs the same topology through basic.publish and through
 * the other path and expects the same outcome. Leveret only (the `extensions` jest project): the delayed-message and
 * de-duplication plugins are not part of RabbitMQ 3.10.
 */
import type * as amqp from 'amqplib';
import { getAll } from '../support/basic';
import { connect, eventually, headersOf, publishOutcome, uniqueName } from '../support/broker';
import { httpPublish as publishOverHttp, managementTarget, type ManagementTarget } from '../support/management-target';

let target: ManagementTarget;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;

jest.setTimeout(20000);
beforeAll(async () => {
  target = await managementTarget('publish pipeline tests');
  conn = await connect(target.amqpUrl);
  ch = await conn.createConfirmChannel();
});
afterAll(async () => {
  await conn.close();
  await target.close();
});

const httpPublish = (exchange: string, routingKey: string, payload: string, properties?: Record<string, unknown>) =>
  publishOverHttp(target, exchange, routingKey, payload, properties);
const takeAll = (q: string) => getAll(ch, q);

async function queue(): Promise<string> {
  return (await ch.assertQueue('', { exclusive: true })).queue;
}

async function count(q: string): Promise<number> {
  return (await ch.checkQueue(q)).messageCount;
}

describe('the HTTP publish goes through the pipeline basic.publish goes through', () => {
  test('exchange de-duplication: a repeat of a message-id is dropped whichever way it came', async () => {
    const x = uniqueName('dedup-x');
    await ch.assertExchange(x, 'fanout', { autoDelete: true, arguments: { 'x-message-deduplication': true, 'x-cache-size': 10 } });
    const q = await queue();
    await ch.bindQueue(q, x, '');
    expect(await publishOutcome(ch, x, '', 'amqp-1', { messageId: 'm1' })).toBe('ack');
    expect(await httpPublish(x, '', 'http-1', { message_id: 'm1' })).toBe(false);
    expect(await httpPublish(x, '', 'http-2', { message_id: 'm2' })).toBe(true);
    expect(await publishOutcome(ch, x, '', 'amqp-2', { messageId: 'm2' })).toBe('ack');
    expect((await takeAll(q)).map((m) => m.content.toString())).toEqual(['amqp-1', 'http-2']);
  });

  test('x-delayed-message: a message with x-delay is held, then routed with its x-delay negated', async () => {
    const x = uniqueName('delayed-x');
    await ch.assertExchange(x, 'x-delayed-message', { autoDelete: true, arguments: { 'x-delayed-type': 'direct' } });
    const q = await queue();
    await ch.bindQueue(q, x, 'k');
    expect(await httpPublish(x, 'k', 'http', { headers: { 'x-delay': 300 } })).toBe(false);
    expect(await publishOutcome(ch, x, 'k', 'amqp', { headers: { 'x-delay': 300 } })).toBe('ack');
    expect(await count(q)).toBe(0);
    await eventually(async () => (await count(q)) === 2, 5000, 'both delayed messages');
    const got = await takeAll(q);
    expect(got.map((m) => [m.content.toString(), headersOf(m)['x-delay']]).sort()).toEqual([
      ['amqp', -300],
      ['http', -300],
    ]);
  });
});

describe('dead-lettering goes through the pipeline basic.publish goes through', () => {
  /** A queue whose rejected messages dead-letter to `dlx`. */
  async function dyingQueue(dlx: string): Promise<string> {
    return (await ch.assertQueue('', { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } })).queue;
  }

  async function rejectAll(q: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const m = await ch.get(q);
      if (m === false) throw new Error(`expected ${n} messages in ${q}`);
      ch.nack(m, false, false);
    }
  }

  test('a de-duplicating dead-letter exchange drops a repeated copy', async () => {
    const dlx = uniqueName('dedup-dlx');
    await ch.assertExchange(dlx, 'fanout', { autoDelete: true, arguments: { 'x-message-deduplication': true, 'x-cache-size': 10 } });
    const dlq = await queue();
    await ch.bindQueue(dlq, dlx, '');
    const q = await dyingQueue(dlx);
    expect(await publishOutcome(ch, '', q, 'first', { messageId: 'same' })).toBe('ack');
    expect(await publishOutcome(ch, '', q, 'second', { messageId: 'same' })).toBe('ack');
    expect(await publishOutcome(ch, '', q, 'other', { messageId: 'other' })).toBe('ack');
    await rejectAll(q, 3);
    await eventually(async () => (await count(dlq)) === 2, 3000, 'two copies');
    expect((await takeAll(dlq)).map((m) => m.content.toString())).toEqual(['first', 'other']);
  });

  test('a delayed dead-letter exchange holds a copy that carries x-delay', async () => {
    const dlx = uniqueName('delayed-dlx');
    await ch.assertExchange(dlx, 'x-delayed-message', { autoDelete: true, arguments: { 'x-delayed-type': 'fanout' } });
    const dlq = await queue();
    await ch.bindQueue(dlq, dlx, '');
    const q = await dyingQueue(dlx);
    expect(await publishOutcome(ch, '', q, 'later', { headers: { 'x-delay': 400 } })).toBe('ack');
    expect(await publishOutcome(ch, '', q, 'now')).toBe('ack');
    await rejectAll(q, 2);
    await eventually(async () => (await count(dlq)) === 1, 3000, 'the undelayed copy');
    expect((await takeAll(dlq)).map((m) => m.content.toString())).toEqual(['now']);
    await eventually(async () => (await count(dlq)) === 1, 5000, 'the delayed copy');
    const [late] = await takeAll(dlq);
    expect(late?.content.toString()).toBe('later');
    expect(headersOf(late as amqp.GetMessage)['x-delay']).toBe(-400);
    expect(headersOf(late as amqp.GetMessage)['x-death']).toBeDefined();
  });
});
