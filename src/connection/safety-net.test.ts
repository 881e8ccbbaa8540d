/**
 * The safety net: an unexpected exception (a bug: validation at the door keeps client input from causing one) while
 * doing one connection's work closes that connection with 541 and a log line carrying the stack, never the process;
 * the message it was delivering is not lost. Each test makes one place throw on purpose (jest.spyOn) and checks the
 * broker goes on: the failing connection is closed, another one keeps working, the message is still deliverable.
 */
import { Channel } from '../channel/channel';
import { ConsumerTimeouts } from '../channel/consumer-timeout';
import { encodeHeaderFrame } from '../protocol/frames';
import { ClassId, MethodId, encodeBasicProperties, encodeMethodFrame } from '../protocol/generated/amqp';
import { FrameWriter } from './writer';
import { Connection } from './connection';
import { HandClock } from '../test-support/hand-clock';
import { type Client, type Decoded, TestBroker, publish, tick } from './test-support/harness';

class Broker extends TestBroker {
  constructor(clock?: HandClock) {
    super({ users: ['guest'], confirmChannelOpen: true, clock });
    this.access.setPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  }
}

const INTERNAL_ERROR = { replyCode: 541, replyText: 'INTERNAL_ERROR - internal error', classId: 0, methodId: 0 };

function declare(queue: string): Buffer {
  return encodeMethodFrame(1, MethodId.QueueDeclare, {
    queue, passive: false, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {},
  });
}

function consume(queue: string, tag: string): Buffer {
  return encodeMethodFrame(1, MethodId.BasicConsume, {
    queue, consumerTag: tag, noLocal: false, noAck: false, exclusive: false, noWait: false, arguments: {},
  });
}

function closes(frames: Decoded[]): Decoded[] {
  return frames.filter((f) => f.method === 'connection.close');
}

function deliveries(frames: Decoded[]): Decoded[] {
  return frames.filter((f) => f.method === 'basic.deliver');
}

async function consumer(broker: Broker, queue: string, tag: string): Promise<Client> {
  const c = broker.connect('guest');
  await c.ready();
  await c.call(consume(queue, tag));
  return c;
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('a delivery that throws', () => {
  test("closes only its consumer's connection with 541; the message goes to the next consumer, unchanged", async () => {
    const broker = new Broker();
    const setup = broker.connect('guest');
    await setup.ready();
    await setup.call(declare('q'));
    const a = await consumer(broker, 'q', 'a');
    const b = await consumer(broker, 'q', 'b');
    jest.spyOn(FrameWriter.prototype, 'deliver').mockImplementationOnce(() => {
      throw new RangeError('injected delivery fault');
    });
    await setup.call(...publish(1, '', 'q', 'survivor'));
    const fromA = await a.untilMethod('connection.close');
    const fromB = await b.untilMethod('basic.deliver');
    // The first consumer in line (a) failed; b got the message, not marked redelivered.
    expect(closes(fromA).map((f) => f.args)).toEqual([INTERNAL_ERROR]);
    expect(closes(fromB)).toEqual([]);
    expect(deliveries(fromB).map((f) => f.args?.redelivered)).toEqual([false]);
    expect(broker.root.queues.get('q')?.messageCount).toBe(0);
    expect(broker.root.queues.get('q')?.consumerCount).toBe(1);
    expect(broker.store.quarantineCount()).toBe(0);
  });

  test('an entry whose delivery fails twice is moved to the quarantine instead of taking every consumer down', async () => {
    const broker = new Broker();
    const setup = broker.connect('guest');
    await setup.ready();
    await setup.call(declare('q'));
    const a = await consumer(broker, 'q', 'a');
    const b = await consumer(broker, 'q', 'b');
    const c = await consumer(broker, 'q', 'c');
    const deliver = FrameWriter.prototype.deliver;
    jest.spyOn(FrameWriter.prototype, 'deliver').mockImplementation(function (this: FrameWriter, ...args) {
      if ((args[7] as Buffer).toString() === 'poison') throw new RangeError('injected: this message cannot be sent');
      deliver.apply(this, args);
    });
    await setup.call(...publish(1, '', 'q', 'poison'), ...publish(1, '', 'q', 'fine'));
    expect(closes(await a.untilMethod('connection.close'))).toHaveLength(1);
    expect(closes(await b.untilMethod('connection.close'))).toHaveLength(1);
    const fromC = await c.untilMethod('basic.deliver');
    expect(closes(fromC)).toEqual([]);
    expect(deliveries(fromC)).toHaveLength(1); // 'fine'
    expect(broker.store.quarantineCount()).toBe(1);
    expect(broker.store.loadQuarantine(10)[0]).toMatchObject({ vhost: '/', queue: 'q', reason: expect.stringContaining('delivery failed twice') });
    expect(broker.store.loadQuarantine(10)[0]?.body.toString()).toBe('poison');
    const q = broker.root.queues.get('q');
    expect(q?.messageCount).toBe(0);
  });
});

describe('timers and callbacks that throw close their connection, never the process', () => {
  test('a consumer-timeout tick', async () => {
    const clock = new HandClock();
    const broker = new Broker(clock);
    (broker.context.limits as { consumerTimeout?: number }).consumerTimeout = 8;
    const setup = broker.connect('guest');
    await setup.ready();
    await setup.call(declare('q'), ...publish(1, '', 'q', 'm'));
    const a = await consumer(broker, 'q', 'a');
    const other = broker.connect('guest');
    await other.ready();
    jest.spyOn(ConsumerTimeouts.prototype, 'check').mockImplementation(() => {
      throw new Error('injected timer fault');
    });
    clock.advance(8);
    const seen = await a.untilMethod('connection.close');
    expect(closes(seen).map((f) => f.args)).toEqual([INTERNAL_ERROR]);
    jest.restoreAllMocks();
    // The delivery a held went back to the queue; another connection gets it.
    expect((await other.call(encodeMethodFrame(1, MethodId.BasicGet, { queue: 'q', noAck: true })))[0]).toMatchObject({
      method: 'basic.get-ok',
      args: { redelivered: true },
    });
  });

  test('a publisher-confirm commit callback', async () => {
    const broker = new Broker();
    const pub = broker.connect('guest');
    await pub.ready();
    await pub.call(
      encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'd', passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: {} }),
      encodeMethodFrame(1, MethodId.ConfirmSelect, { noWait: false }),
    );
    jest.spyOn(Channel.prototype as unknown as { onCommitted(token: number): void }, 'onCommitted').mockImplementation(() => {
      throw new Error('injected commit-callback fault');
    });
    pub.send(...publishPersistent('d', 'kept'));
    const seen = await pub.untilMethod('connection.close');
    expect(closes(seen).map((f) => f.args)).toEqual([INTERNAL_ERROR]);
    expect(broker.root.queues.get('d')?.messageCount).toBe(1);
  });

  test('socket-close handling that throws still removes the connection from the broker', async () => {
    const broker = new Broker();
    const a = broker.connect('guest');
    await a.ready();
    jest.spyOn(Channel.prototype, 'release').mockImplementation(() => {
      throw new Error('injected release fault');
    });
    a.client.destroy();
    for (let i = 0; i < 20 && !a.closed; i++) await tick();
    expect(a.closed).toBe(true);
    expect(broker.connections.has(a.connection)).toBe(false);
  });

  test('an error while mapping a frame error (fail itself) closes that connection with 541', async () => {
    const broker = new Broker();
    const a = broker.connect('guest');
    await a.ready();
    const other = broker.connect('guest');
    await other.ready();
    jest.spyOn(Connection.prototype as unknown as { fail(): void }, 'fail').mockImplementationOnce(() => {
      throw new Error('injected fault in fail()');
    });
    // A method on a channel that was never opened: the connection maps it through fail().
    const seen = await a.call(encodeMethodFrame(7, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: 1, global: false }));
    expect(closes(seen).map((f) => f.args)).toEqual([INTERNAL_ERROR]);
    expect(await other.call(declare('still-here'))).toEqual([
      { channel: 1, method: 'queue.declare-ok', args: { queue: 'still-here', messageCount: 0, consumerCount: 0 } },
    ]);
  });
});

/** basic.publish with delivery mode 2 (persistent). */
function publishPersistent(queue: string, body: string): Buffer[] {
  const frames = publish(1, '', queue, body);
  frames[1] = encodeHeaderFrame(1, ClassId.Basic, Buffer.byteLength(body), encodeBasicProperties({ deliveryMode: 2 }));
  return frames;
}
