/**
 * Consumer timeout: a delivery left unacked longer than its queue's x-consumer-timeout (or the broker's default)
 * closes the channel with 406 and RabbitMQ's text, via ChannelLifecycle.channelError (class and method 0: no method
 * caused it). Runs a real Channel and VirtualHost on a fake connection; the channel's clock is a hand clock, so time
 * moves only when a test advances it.
 */
import { ReplyCode, encodeBasicProperties, type BasicPublishArgs } from '../protocol/generated/amqp';
import type { FieldTable } from '../protocol/field-table';
import type { Queue } from '../queue/queue';
import { MemoryStore } from '../store/memory';
import { eventually } from '../test-support/eventually';
import { HandClock } from '../test-support/hand-clock';
import { VirtualHost } from '../vhost/vhost';
import type { Channel } from './channel';
import { ChannelConsumer } from './consumer';
import { FakeConnection, OWNER, type ChannelErrorCall } from './test-support/fake-connection';

interface Setup {
  channel: Channel;
  vhost: VirtualHost;
  clock: HandClock;
  errors: ChannelErrorCall[];
  connection: FakeConnection;
}

const channels: Channel[] = [];

afterEach(() => {
  for (const channel of channels.splice(0)) channel.release();
});

function setup(consumerTimeout: number, channelId = 1): Setup {
  const vhost = new VirtualHost('/', new MemoryStore());
  const clock = new HandClock();
  const connection = new FakeConnection(vhost, { consumerTimeout, clock });
  const channel = connection.openChannel(channelId);
  channels.push(channel);
  return { channel, vhost, clock, errors: connection.errors, connection };
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

describe('consumer timeout', () => {
  test("a delivery unacked past the queue's x-consumer-timeout closes the channel with 406 and RabbitMQ's text", () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    const delivered = clock.now();
    publish(channel, 'q');
    expect(connection.deliveryTags).toEqual([1]);
    clock.advance(99);
    expect(errors).toEqual([]); // never early
    clock.advance(300);
    expect(errors).toHaveLength(1);
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
    expect(call.at - delivered).toBeGreaterThanOrEqual(100);
    expect(call.at - delivered).toBeLessThan(400);
    clock.advance(150);
    expect(errors).toHaveLength(1);
  });

  test('the text names the channel the delivery went out on', () => {
    const { channel, vhost, clock, errors } = setup(0, 7);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 30 });
    consume(channel, queue);
    publish(channel, 'q');
    clock.advance(200);
    expect(errors[0]?.channelId).toBe(7);
    expect(errors[0]?.error.detail).toBe(timeoutText(7, 30));
  });

  test('acking before the deadline: no timeout, and the ticker stops', () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q');
    clock.advance(40);
    channel.settle(connection.deliveryTags[0] as number, false, true, false);
    clock.advance(200);
    expect(errors).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  test('a nack with requeue before the deadline clears it too; the redelivery is watched afresh', async () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q');
    clock.advance(60);
    channel.settle(connection.deliveryTags[0] as number, false, false, true);
    await eventually(() => connection.deliveryTags.length === 2, 5000, 'the redelivery');
    const redelivered = clock.now();
    clock.advance(89);
    expect(errors).toEqual([]);
    clock.advance(400);
    expect(errors).toHaveLength(1);
    expect((errors[0] as ChannelErrorCall).at - redelivered).toBeGreaterThanOrEqual(90);
  });

  test('a delivery made between ticks is timed from its own delivery, never earlier', () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q', 'first');
    clock.advance(60); // two ticks of 25 ms have passed, a third is due
    publish(channel, 'q', 'second');
    const secondAt = clock.now();
    expect(connection.deliveryTags).toEqual([1, 2]);
    channel.settle(1, false, true, false);
    clock.advance(400);
    expect(errors).toHaveLength(1);
    const at = (errors[0] as ChannelErrorCall).at;
    expect(at - secondAt).toBeGreaterThanOrEqual(99);
    expect(at - secondAt).toBeLessThan(400);
  });

  test('once every watched delivery is settled, no tick closes the channel later', () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 40 });
    consume(channel, queue);
    for (let i = 0; i < 3; i++) {
      publish(channel, 'q');
      clock.advance(15);
      channel.settle(connection.deliveryTags[i] as number, false, true, false);
    }
    clock.advance(200);
    expect(connection.deliveryTags).toEqual([1, 2, 3]);
    expect(errors).toEqual([]);
  });

  test("the host's default applies when the queue has no x-consumer-timeout", () => {
    const { channel, vhost, clock, errors } = setup(80);
    const queue = declare(vhost, 'q');
    consume(channel, queue);
    const delivered = clock.now();
    publish(channel, 'q');
    clock.advance(400);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 80));
    expect((errors[0] as ChannelErrorCall).at - delivered).toBeGreaterThanOrEqual(80);
  });

  test("the queue's x-consumer-timeout overrides the host's default", () => {
    const { channel, vhost, clock, errors } = setup(5000);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 50 });
    consume(channel, queue);
    publish(channel, 'q');
    clock.advance(500);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 50));
  });

  test('x-consumer-timeout 0 disables the timeout even with a host default', () => {
    const { channel, vhost, clock, errors, connection } = setup(40);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 0 });
    consume(channel, queue);
    publish(channel, 'q');
    expect(connection.deliveryTags).toEqual([1]);
    clock.advance(200);
    expect(errors).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  test('a host default of 0 and no queue argument: no timeout', () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q');
    consume(channel, queue);
    publish(channel, 'q');
    expect(connection.deliveryTags).toEqual([1]);
    clock.advance(150);
    expect(errors).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  test('noAck deliveries never time out', () => {
    const { channel, vhost, clock, errors, connection } = setup(30);
    const queue = declare(vhost, 'q');
    consume(channel, queue, true);
    publish(channel, 'q');
    expect(connection.deliveryTags).toEqual([1]);
    clock.advance(120);
    expect(errors).toEqual([]);
  });

  test('a basic.get delivery left unacked times out as well', () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 60 });
    publish(channel, 'q');
    channel.deliverGet(queue, queue.take(false) as NonNullable<ReturnType<Queue['take']>>, false);
    expect(connection.deliveryTags).toEqual([1]);
    clock.advance(400);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 60));
  });

  test('after the first delivery is acked, a later one is still watched, from its own delivery time', () => {
    const { channel, vhost, clock, errors, connection } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 100 });
    consume(channel, queue);
    publish(channel, 'q', 'm1');
    clock.advance(40);
    channel.settle(connection.deliveryTags[0] as number, false, true, false);
    clock.advance(30);
    const second = clock.now();
    publish(channel, 'q', 'm2');
    expect(connection.deliveryTags).toEqual([1, 2]);
    clock.advance(400);
    expect(errors).toHaveLength(1);
    expect((errors[0] as ChannelErrorCall).at - second).toBeGreaterThanOrEqual(99);
  });

  test('a short-timeout delivery after a long-timeout one fires at its own, earlier deadline', () => {
    const { channel, vhost, clock, errors } = setup(0);
    const slow = declare(vhost, 'slow', { 'x-consumer-timeout': 5000 });
    const fast = declare(vhost, 'fast', { 'x-consumer-timeout': 60 });
    consume(channel, slow, false, 'c-slow');
    consume(channel, fast, false, 'c-fast');
    publish(channel, 'slow');
    publish(channel, 'fast');
    const delivered = clock.now();
    clock.advance(1000);
    expect(errors[0]?.error.detail).toBe(timeoutText(1, 60));
    expect((errors[0] as ChannelErrorCall).at - delivered).toBeLessThan(500);
  });

  test('releasing the channel (close) before the deadline stops the timer', () => {
    const { channel, vhost, clock, errors } = setup(0);
    const queue = declare(vhost, 'q', { 'x-consumer-timeout': 50 });
    consume(channel, queue);
    publish(channel, 'q');
    clock.advance(20);
    channel.release();
    expect(clock.pending).toBe(0);
    clock.advance(120);
    expect(errors).toEqual([]);
    // The unacked delivery went back to the queue.
    expect(queue.messageCount).toBe(1);
  });
});
