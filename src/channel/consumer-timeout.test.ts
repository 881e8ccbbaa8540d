/**
 * Consumer timeout: a delivery left unacked longer than its queue's x-consumer-timeout (or the broker's default)
 * closes the channel with 406 and RabbitMQ's text, via ChannelHost.channelError (class and method 0: no method
 * caused it). Runs a real Channel and VirtualHost with a fake host and real timers.
 */
import { createLogger } from '../observability/logger';
import { MessageStats } from '../observability/stats';
import type { AmqpError } from '../protocol/amqp-error';
import type { FieldTable } from '../protocol/field-table';
import { MethodId, ReplyCode, encodeBasicProperties, type BasicPublishArgs } from '../protocol/generated/amqp';
import type { Queue } from '../queue/queue';
import { MemoryStore } from '../store/memory';
import { VirtualHost } from '../vhost/vhost';
import { Channel, type ChannelHost } from './channel';
import { ChannelConsumer } from './consumer';

const OWNER = { conn: 'test' };

interface ChannelErrorCall {
  readonly channelId: number;
  readonly error: AmqpError;
  readonly at: number;
}

interface Setup {
  channel: Channel;
  vhost: VirtualHost;
  errors: ChannelErrorCall[];
  /** Delivery tags of basic.deliver / basic.get-ok sent, in order. */
  tags: number[];
}

const channels: Channel[] = [];

afterEach(() => {
  for (const channel of channels.splice(0)) channel.release();
});

function setup(consumerTimeout: number, channelId = 1): Setup {
  const vhost = new VirtualHost('/', new MemoryStore());
  const errors: ChannelErrorCall[] = [];
  const tags: number[] = [];
  const host: ChannelHost = {
    vhost,
    owner: OWNER,
    internalError: (err: unknown) => {
      throw err;
    },
    frameMax: 131072,
    writeBlocked: false,
    consumerCancelNotify: true,
    consumerTimeout,
    channelError: (id, error) => errors.push({ channelId: id, error, at: Date.now() }),
    userName: 'guest',
    logger: createLogger({ level: 'silent' }),
    brokerStats: new MessageStats(),
    check: () => undefined,
    checkPublish: () => undefined,
    checkTopic: () => undefined,
    throttle: () => undefined,
    sendMethod: (_channel, id, args) => {
      if (id === MethodId.BasicDeliver || id === MethodId.BasicGetOk) tags.push((args as { deliveryTag: number }).deliveryTag);
    },
    sendContent: () => {},
    sendDelivery: (_channel, _consumerTag, deliveryTag) => void tags.push(deliveryTag),
  };
  const channel = new Channel(channelId, host);
  channels.push(channel);
  return { channel, vhost, errors, tags };
}

function declare(vhost: VirtualHost, name: string, args: FieldTable = {}): Queue {
  return vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: args }, OWNER);
}

function consume(channel: Channel, queue: Queue, noAck = false, tag = 'ctag'): ChannelConsumer {
  const consumer = new ChannelConsumer(channel, queue, tag, noAck, false, 0, 0);
  channel.addConsumer(consumer);
  return consumer;
}

function publish(channel: Channel, routingKey: string, body = 'body'): void {
  const args: BasicPublishArgs = { ticket: 0, exchange: '', routingKey, mandatory: false, immediate: false };
  channel.publish(args, encodeBasicProperties({}), Buffer.from(body));
}

function timeoutText(channelId: number, ms: number): string {
  return (
    `delivery acknowledgement on channel ${channelId} timed out. Timeout value used: ${ms} ms. ` +
    'This timeout value can be configured, see consumers doc guide to learn more'
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(condition: () => boolean, ms = 1000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

describe('consumer timeout', () => {
  test("a delivery unacked past the queue's x-consumer-timeout closes the channel with 406 and RabbitMQ's text", async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    const delivered = Date.now();
    publish(channel, 'q');
    expect(tags).toEqual([1]);
    expect(await eventually(() => errors.length > 0)).toBe(true);
    const call = errors[0] as ChannelErrorCall;
    expect(call.channelId).toBe(1);
    expect(call.error.replyCode).toBe(ReplyCode.PreconditionFailed);
    expect(call.error.replyCode).toBe(406);
    expect(call.error.detail).toBe(timeoutText(1, 100));
    expect(call.error.replyText).toBe(
      'PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 100 ms. ' +
        'This timeout value can be configured, see consumers doc guide to learn more',
    );
    expect([call.error.classId, call.error.methodId]).toEqual([0, 0]);
    expect(call.at - delivered).toBeGreaterThanOrEqual(99);
    expect(call.at - delivered).toBeLessThan(400);
    await sleep(150);
    expect(errors).toHaveLength(1);
  });

  test('the text names the channel the delivery went out on', async () => {
    const { channel, vhost, errors } = setup(0, 7);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 30 });
    consume(channel, queue);
    publish(channel, 'q');
    expect(await eventually(() => errors.length > 0)).toBe(true);
    expect(errors[0]?.channelId).toBe(7);
    expect(errors[0]?.error.detail).toBe(timeoutText(7, 30));
  });

  test('acking before the deadline: no timeout', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q');
    await sleep(40);
    channel.settle(tags[0] as number, false, true, false);
    await sleep(200);
    expect(errors).toEqual([]);
  });

  test('a nack with requeue before the deadline clears it too; the redelivery is watched afresh', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q');
    await sleep(60);
    channel.settle(tags[0] as number, false, false, true);
    expect(await eventually(() => tags.length === 2)).toBe(true);
    const redelivered = Date.now();
    expect(await eventually(() => errors.length > 0)).toBe(true);
    expect((errors[0] as ChannelErrorCall).at - redelivered).toBeGreaterThanOrEqual(90);
  });

  test('a delivery made between ticks is timed from its own delivery, never earlier', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q', 'first');
    await sleep(60); // two ticks of 25 ms have passed, a third is due
    publish(channel, 'q', 'second');
    const secondAt = Date.now();
    expect(tags).toEqual([1, 2]);
    channel.settle(1, false, true, false);
    expect(await eventually(() => errors.length > 0)).toBe(true);
    const at = (errors[0] as ChannelErrorCall).at;
    expect(at - secondAt).toBeGreaterThanOrEqual(99);
    expect(at - secondAt).toBeLessThan(400);
  });

  test('once every watched delivery is settled, no tick closes the channel later', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 40 });
    consume(channel, queue);
    for (let i = 0; i < 3; i++) {
      publish(channel, 'q');
      await sleep(15);
      channel.settle(tags[i] as number, false, true, false);
    }
    await sleep(200);
    expect(tags).toEqual([1, 2, 3]);
    expect(errors).toEqual([]);
  });

  test("the host's default applies when the queue has no x-consumer-timeout", async () => {
    const { channel, vhost, errors } = setup(80);
    const queue = declare(vhost, 'q');
    consume(channel, queue);
    const delivered = Date.now();
    publish(channel, 'q');
    expect(await eventually(() => errors.length > 0)).toBe(true);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 80));
    expect((errors[0] as ChannelErrorCall).at - delivered).toBeGreaterThanOrEqual(79);
  });

  test("the queue's x-consumer-timeout overrides the host's default", async () => {
    const { channel, vhost, errors } = setup(5000);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 50 });
    consume(channel, queue);
    publish(channel, 'q');
    expect(await eventually(() => errors.length > 0, 500)).toBe(true);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 50));
  });

  test('x-consumer-timeout 0 disables the timeout even with a host default', async () => {
    const { channel, vhost, errors, tags } = setup(40);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 0 });
    consume(channel, queue);
    publish(channel, 'q');
    expect(tags).toEqual([1]);
    await sleep(200);
    expect(errors).toEqual([]);
  });

  test('a host default of 0 and no queue argument: no timeout', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q');
    consume(channel, queue);
    publish(channel, 'q');
    expect(tags).toEqual([1]);
    await sleep(150);
    expect(errors).toEqual([]);
  });

  test('noAck deliveries never time out', async () => {
    const { channel, vhost, errors, tags } = setup(30);
    const queue = declare(vhost, 'q');
    consume(channel, queue, true);
    publish(channel, 'q');
    expect(tags).toEqual([1]);
    await sleep(120);
    expect(errors).toEqual([]);
  });

  test('a basic.get delivery left unacked times out as well', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 60 });
    publish(channel, 'q');
    channel.deliverGet(queue, queue.take(false) as NonNullable<ReturnType<Queue['take']>>, false);
    expect(tags).toEqual([1]);
    expect(await eventually(() => errors.length > 0)).toBe(true);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 60));
  });

  test('after the first delivery is acked, a later one is still watched, from its own delivery time', async () => {
    const { channel, vhost, errors, tags } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q', 'm1');
    await sleep(40);
    channel.settle(tags[0] as number, false, true, false);
    await sleep(30);
    const second = Date.now();
    publish(channel, 'q', 'm2');
    expect(tags).toEqual([1, 2]);
    expect(await eventually(() => errors.length > 0)).toBe(true);
    expect((errors[0] as ChannelErrorCall).at - second).toBeGreaterThanOrEqual(99);
  });

  test('a short-timeout delivery after a long-timeout one fires at its own, earlier deadline', async () => {
    const { channel, vhost, errors } = setup(0);
    const slow = declare(vhost, 'slow', { 'x-consumer-timeout': 5000 });
    const fast = declare(vhost, 'fast', { 'x-consumer-timeout': 60 });
    consume(channel, slow, false, 'c-slow');
    consume(channel, fast, false, 'c-fast');
    publish(channel, 'slow');
    publish(channel, 'fast');
    const delivered = Date.now();
    expect(await eventually(() => errors.length > 0, 1000)).toBe(true);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 60));
    expect((errors[0] as ChannelErrorCall).at - delivered).toBeLessThan(500);
  });

  test('releasing the channel (close) before the deadline stops the timer', async () => {
    const { channel, vhost, errors } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 50 });
    consume(channel, queue);
    publish(channel, 'q');
    await sleep(20);
    channel.release();
    await sleep(120);
    expect(errors).toEqual([]);
    // The unacked delivery went back to the queue.
    expect(queue.messageCount).toBe(1);
  });
});
