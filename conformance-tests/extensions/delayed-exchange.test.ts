/**
 * Leveret extension: the x-delayed-message exchange type of RabbitMQ's delayed-message plugin
 * (rabbitmq/rabbitmq-delayed-message-exchange), which RabbitMQ 3.10 does not ship.
 *
 * The exchange routes like the type its x-delayed-type argument names; a message with a positive integer x-delay
 * header (ms) is held and routed when due; without it, or with x-delay <= 0, it routes at once. Declare errors
 * follow the plugin's validate/1: x-delayed-type missing (or not a string) -> 406
 * "Invalid argument, 'x-delayed-type' must be an existing exchange type"; x-delayed-type 'x-delayed-message' ->
 * 406 "Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'"; a string naming no exchange type
 * goes through rabbit_exchange:check_type/1, i.e. the connection-level 503 "unknown exchange type 'T'" that
 * exchange.declare gives for an unknown type. Leveret only (the `extensions` jest project).
 */
import type * as amqp from 'amqplib';
import { Reply } from '../support/codes';
import {
  cleanup,
  confirmChannel,
  connect,
  delay,
  expectChannelClose,
  expectConnectionClose,
  Inbox,
  open,
  publishOutcome,
  setupBroker,
  uniqueName,
} from '../support/broker';

const broker = setupBroker();

const DELAYED = 'x-delayed-message';

/** A delayed exchange routing like `type`, and an exclusive queue bound to it with `bindingKey`, consumed into an inbox. */
async function delayedSetup(
  ch: amqp.Channel,
  type: string,
  bindingKey = 'rk',
  bindArgs: Record<string, unknown> = {},
): Promise<{ x: string; queue: string; inbox: Inbox; arrivals: number[] }> {
  const x = cleanup.exchange(uniqueName('delayed'));
  await ch.assertExchange(x, DELAYED, { durable: false, arguments: { 'x-delayed-type': type } });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, x, bindingKey, bindArgs);
  const inbox = new Inbox();
  const arrivals: number[] = [];
  await ch.consume(
    queue,
    (m) => {
      if (m) arrivals.push(Date.now());
      inbox.onMessage(m);
    },
    { noAck: true },
  );
  return { x, queue, inbox, arrivals };
}

describe('x-delayed-message exchange (Leveret extension)', () => {
  test('a message with x-delay 300 arrives after about 300 ms, not before', async () => {
    const { ch } = await open(broker.url);
    const { x, inbox, arrivals } = await delayedSetup(ch, 'direct');
    const published = Date.now();
    ch.publish(x, 'rk', Buffer.from('later'), { headers: { 'x-delay': 300 } });
    await delay(200);
    expect(inbox.messages).toHaveLength(0);
    await inbox.waitFor(1, 2000);
    const waited = (arrivals[0] as number) - published;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThanOrEqual(450);
    expect(inbox.bodies()).toEqual(['later']);
    expect(inbox.messages[0]?.fields).toEqual(expect.objectContaining({ exchange: x, routingKey: 'rk', redelivered: false }));
  });

  test('without x-delay, or with x-delay 0 or negative, the message routes at once', async () => {
    const { ch } = await open(broker.url);
    const { x, inbox, arrivals } = await delayedSetup(ch, 'direct');
    const published = Date.now();
    ch.publish(x, 'rk', Buffer.from('no-header'));
    ch.publish(x, 'rk', Buffer.from('zero'), { headers: { 'x-delay': 0 } });
    ch.publish(x, 'rk', Buffer.from('negative'), { headers: { 'x-delay': -500 } });
    await inbox.waitFor(3, 2000);
    expect(inbox.bodies()).toEqual(['no-header', 'zero', 'negative']);
    expect((arrivals[2] as number) - published).toBeLessThan(150);
  });

  test('delayed messages are routed in order of their due time, not of publishing', async () => {
    const { ch } = await open(broker.url);
    const { x, inbox } = await delayedSetup(ch, 'direct');
    ch.publish(x, 'rk', Buffer.from('due-400'), { headers: { 'x-delay': 400 } });
    ch.publish(x, 'rk', Buffer.from('due-100'), { headers: { 'x-delay': 100 } });
    ch.publish(x, 'rk', Buffer.from('now'));
    ch.publish(x, 'rk', Buffer.from('due-250'), { headers: { 'x-delay': 250 } });
    await inbox.waitFor(4, 2000);
    expect(inbox.bodies()).toEqual(['now', 'due-100', 'due-250', 'due-400']);
  });

  test('when due, the message is routed by the x-delayed-type\'s rules: direct keys must match', async () => {
    const { ch } = await open(broker.url);
    const { x, queue, inbox } = await delayedSetup(ch, 'direct', 'match');
    ch.publish(x, 'other', Buffer.from('unrouted'), { headers: { 'x-delay': 50 } });
    ch.publish(x, 'match', Buffer.from('routed'), { headers: { 'x-delay': 100 } });
    await inbox.waitFor(1, 2000);
    await delay(100);
    expect(inbox.bodies()).toEqual(['routed']);
    expect((await ch.checkQueue(queue)).consumerCount).toBe(1);
  });

  test.each([
    ['topic', 'orders.#', 'orders.eu.new', {}, {}],
    ['fanout', '', 'anything', {}, {}],
    ['headers', '', '', { 'x-match': 'all', kind: 'order' }, { kind: 'order' }],
  ] as const)('x-delayed-type %s: once due, the message routes like that exchange type', async (type, bindingKey, routingKey, bindArgs, headers) => {
    const { ch } = await open(broker.url);
    const { x, inbox, arrivals } = await delayedSetup(ch, type, bindingKey, bindArgs);
    const published = Date.now();
    ch.publish(x, routingKey, Buffer.from(`via-${type}`), { headers: { ...headers, 'x-delay': 150 } });
    await inbox.waitFor(1, 2000);
    expect(inbox.bodies()).toEqual([`via-${type}`]);
    expect((arrivals[0] as number) - published).toBeGreaterThanOrEqual(140);
  });

  test('publisher confirms ack a delayed message before it is due', async () => {
    const conn = await connect(broker.url);
    const ch = await confirmChannel(conn);
    const { x, inbox } = await delayedSetup(ch, 'direct');
    const published = Date.now();
    expect(await publishOutcome(ch, x, 'rk', 'confirmed', { headers: { 'x-delay': 300 }, persistent: true })).toBe('ack');
    expect(Date.now() - published).toBeLessThan(250);
    expect(inbox.messages).toHaveLength(0);
    await inbox.waitFor(1, 2000);
    expect(inbox.bodies()).toEqual(['confirmed']);
  });

  test('declaring an x-delayed-message exchange without x-delayed-type closes the channel with 406 (delayed-message plugin)', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('delayed');
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, DELAYED, { durable: false }),
      Reply.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
    );
  });

  test('an x-delayed-type that is not a string is refused like a missing one (delayed-message plugin)', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('delayed');
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, DELAYED, { durable: false, arguments: { 'x-delayed-type': 5 } }),
      Reply.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
    );
  });

  test('x-delayed-type x-delayed-message is refused with 406 (delayed-message plugin)', async () => {
    const { ch } = await open(broker.url);
    const x = uniqueName('delayed');
    await expectChannelClose(
      ch,
      () => ch.assertExchange(x, DELAYED, { durable: false, arguments: { 'x-delayed-type': DELAYED } }),
      Reply.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'",
    );
  });

  test('an x-delayed-type naming no exchange type closes the connection with 503 like any unknown type (plugin: rabbit_exchange:check_type)', async () => {
    const { conn, ch } = await open(broker.url);
    const x = uniqueName('delayed');
    await expectConnectionClose(
      conn,
      () => ch.assertExchange(x, DELAYED, { durable: false, arguments: { 'x-delayed-type': 'bogus' } }),
      Reply.COMMAND_INVALID,
      "COMMAND_INVALID - unknown exchange type 'bogus'",
    );
  });

  test('redeclaring with the same arguments succeeds and keeps the exchange delaying', async () => {
    const { ch } = await open(broker.url);
    const { x, inbox, arrivals } = await delayedSetup(ch, 'direct');
    expect(await ch.assertExchange(x, DELAYED, { durable: false, arguments: { 'x-delayed-type': 'direct' } })).toEqual({ exchange: x });
    expect(await ch.checkExchange(x)).toEqual({});
    const published = Date.now();
    ch.publish(x, 'rk', Buffer.from('still delayed'), { headers: { 'x-delay': 150 } });
    await inbox.waitFor(1, 2000);
    expect((arrivals[0] as number) - published).toBeGreaterThanOrEqual(140);
  });
});
