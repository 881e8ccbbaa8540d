/**
 * Resource alarms at the connection (flow.ts), as RabbitMQ's reader: while an alarm is in effect a connection is
 * "blocking"; its first publish blocks it (that method is handled, nothing after it), with connection.blocked to a
 * client that announced the capability; when the alarms clear it is unblocked (connection.unblocked if it was told)
 * and what it sent meanwhile is handled. A connection that does not publish keeps running. While the store cannot
 * write, a persistent publish is nacked in confirm mode, and closes the connection with 541 otherwise.
 */
import { MethodId } from '../protocol/generated/amqp';
import { encodeBasicProperties, encodeBodyFrame, encodeHeaderFrame } from '../protocol';
import { ClassId, encodeMethodFrame } from '../protocol/generated/amqp';
import { TestBroker, publish, settle, type Client } from './test-support/harness';

const BLOCKED_CAPABLE = { product: 'test', capabilities: { 'connection.blocked': true } };

function broker(): TestBroker {
  const b = new TestBroker({ users: ['u'], confirmChannelOpen: true });
  b.access.setPermission({ user: 'u', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  return b;
}

function declare(queue: string): Buffer {
  return encodeMethodFrame(1, MethodId.QueueDeclare, {
    queue,
    passive: false,
    durable: true,
    exclusive: false,
    autoDelete: false,
    noWait: false,
    arguments: {},
  });
}

function persistent(queue: string, body: string): Buffer[] {
  const bytes = Buffer.from(body);
  return [
    encodeMethodFrame(1, MethodId.BasicPublish, { exchange: '', routingKey: queue, mandatory: false, immediate: false }),
    encodeHeaderFrame(1, ClassId.Basic, bytes.length, encodeBasicProperties({ deliveryMode: 2 })),
    encodeBodyFrame(1, bytes, 0, bytes.length),
  ];
}

function alarm(b: TestBroker, reason: string | undefined): void {
  for (const c of b.connections) c.flow.alarmsChanged(reason);
}

async function ready(b: TestBroker, clientProperties = BLOCKED_CAPABLE): Promise<Client> {
  const client = b.connect('u', '/', clientProperties);
  await client.ready();
  expect((await client.call(declare('q'))).map((f) => f.method)).toEqual(['queue.declare-ok']);
  return client;
}

function queueLength(b: TestBroker): number {
  return b.root.queues.get('q')?.messageCount ?? -1;
}

describe('resource alarms', () => {
  test('a publish during an alarm blocks the connection; connection.unblocked and the publish handled when it clears', async () => {
    const b = broker();
    const client = await ready(b);
    alarm(b, 'low on memory');
    expect(client.connection.managementInfo.state).toBe('blocking');
    expect(await client.call(...publish(1, '', 'q', 'one'), declare('q'))).toEqual([
      { channel: 0, method: 'connection.blocked', args: { reason: 'low on memory' } },
    ]);
    expect(client.connection.managementInfo.state).toBe('blocked');
    expect(queueLength(b)).toBe(0);
    // A second alarm while blocked: no second connection.blocked; the first clearing alone does not unblock.
    alarm(b, 'low on memory & disk');
    alarm(b, 'low on disk');
    await settle();
    expect(client.newFrames()).toEqual([]);
    alarm(b, undefined);
    await settle();
    expect(client.newFrames().map((f) => f.method)).toEqual(['connection.unblocked', 'queue.declare-ok']);
    expect(queueLength(b)).toBe(1);
    expect(client.connection.managementInfo.state).toBe('running');
    await client.close();
  });

  test('a blocked connection closed by the broker (shutdown) still reads the close-ok', async () => {
    const b = broker();
    const client = await ready(b);
    alarm(b, 'low on memory');
    await client.call(...publish(1, '', 'q'));
    client.connection.forceClose('shutdown');
    await client.untilMethod('connection.close');
    client.send(encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}));
    for (let i = 0; i < 100 && !client.ended; i++) await settle(1);
    expect(client.ended).toBe(true);
    expect(queueLength(b)).toBe(0);
  });

  test('a client without the capability is blocked all the same, and told nothing', async () => {
    const b = broker();
    const client = await ready(b, { product: 'test' } as never);
    alarm(b, 'low on disk');
    expect(await client.call(...publish(1, '', 'q'))).toEqual([]);
    expect(client.connection.managementInfo.state).toBe('blocked');
    expect(queueLength(b)).toBe(0);
    alarm(b, undefined);
    await settle();
    expect(client.newFrames()).toEqual([]);
    expect(queueLength(b)).toBe(1);
    await client.close();
  });

  test('a connection that does not publish keeps running: consume, get and ack go on', async () => {
    const b = broker();
    const publisher = await ready(b);
    await publisher.call(...publish(1, '', 'q', 'a'), ...publish(1, '', 'q', 'b'));
    const consumer = await ready(b);
    alarm(b, 'low on memory');
    const got = await consumer.call(encodeMethodFrame(1, MethodId.BasicGet, { queue: 'q', noAck: false }));
    expect(got[0]?.method).toBe('basic.get-ok');
    expect(await consumer.call(encodeMethodFrame(1, MethodId.BasicAck, { deliveryTag: 1, multiple: false }))).toEqual([]);
    expect(queueLength(b)).toBe(1);
    expect(consumer.connection.managementInfo.state).toBe('blocking');
    alarm(b, undefined);
    await publisher.close();
    await consumer.close();
  });

  test('while the store cannot write, a persistent publish is nacked in confirm mode and closes the connection (541) otherwise', async () => {
    const b = broker();
    let failing = false;
    Object.defineProperty(b.store, 'writeFailing', { get: () => failing });
    const confirming = await ready(b);
    await confirming.call(encodeMethodFrame(1, MethodId.ConfirmSelect, { noWait: false }));
    failing = true;
    expect(await confirming.call(...persistent('q', 'refused'), ...publish(1, '', 'q', 'transient'))).toEqual([
      { channel: 1, method: 'basic.nack', args: { deliveryTag: 1, multiple: false, requeue: false } },
      { channel: 1, method: 'basic.ack', args: { deliveryTag: 2, multiple: false } },
    ]);
    expect(queueLength(b)).toBe(1);
    const plain = await ready(b);
    const closed = await plain.call(...persistent('q', 'refused'));
    expect(closed).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: {
          replyCode: 541,
          replyText: 'INTERNAL_ERROR - the message store cannot write; persistent messages are refused until it can',
          classId: 60,
          methodId: 40,
        },
      },
    ]);
    failing = false;
    expect(await confirming.call(...persistent('q', 'accepted'))).toEqual([
      { channel: 1, method: 'basic.ack', args: { deliveryTag: 3, multiple: false } },
    ]);
    expect(queueLength(b)).toBe(2);
    await confirming.close();
  });
});
