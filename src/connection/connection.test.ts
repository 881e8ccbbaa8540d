/**
 * The transport-agnostic connection core, driven over an in-memory socket pair: frames in, frames out,
 * no TCP. Each test ends its pair so no handshake or close timer outlives it.
 */
import { HEARTBEAT_FRAME, encodeHeaderFrame } from '../protocol/frames';
import { ClassId, MethodId, ReplyCode, encodeMethodFrame } from '../protocol/generated/amqp';
import { blame } from './test-support/frames';
import { FRAME_MAX, settle } from './test-support/harness';
import { EXPECTED_TRACE_REPLIES, Harness, PROPERTIES, basicGet, declareQueue, publishFrames } from './test-support/wire';

describe('Connection: channels and messages', () => {
  test('channel.open, queue.declare, basic.publish, basic.get -> get-ok with the same body and property bytes', async () => {
    const h = new Harness();
    await h.handshake();
    h.send(encodeMethodFrame(1, MethodId.ChannelOpen, {}), declareQueue(1, 'q'));
    await settle();
    expect(h.newFrames()).toEqual([EXPECTED_TRACE_REPLIES[3], EXPECTED_TRACE_REPLIES[4]]);

    const body = Buffer.from('hello, world');
    h.send(...publishFrames(1, '', 'q', body));
    await settle();
    expect(h.newFrames()).toEqual([]);
    expect(h.vhost.queueOrDie('q').messageCount).toBe(1);

    h.send(basicGet(1, 'q'));
    await settle();
    const [getOk, header, bodyFrame, ...rest] = h.newFrames();
    expect(rest).toEqual([]);
    expect(getOk).toEqual({
      channel: 1,
      method: 'basic.get-ok',
      args: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q', messageCount: 0 },
    });
    expect(header).toEqual({ channel: 1, header: { classId: ClassId.Basic, bodySize: body.length, properties: PROPERTIES.toString('hex') } });
    expect(bodyFrame).toEqual({ channel: 1, body: body.toString('hex') });
    await h.finish();
  });

  test('a body larger than frame_max arrives in several frames and goes back in frame_max-sized frames', async () => {
    const h = new Harness();
    await h.handshake();
    const body = Buffer.alloc(FRAME_MAX * 2 + 100);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    h.send(encodeMethodFrame(1, MethodId.ChannelOpen, {}), declareQueue(1, 'big'));
    h.send(...publishFrames(1, '', 'big', body, FRAME_MAX - 8));
    h.send(basicGet(1, 'big'));
    await settle();
    const frames = h.newFrames();
    expect(frames.map((f) => f.method ?? (f.header !== undefined ? 'header' : 'body'))).toEqual([
      'channel.open-ok',
      'queue.declare-ok',
      'basic.get-ok',
      'header',
      'body',
      'body',
      'body',
    ]);
    const bodies = frames.slice(4).map((f) => Buffer.from(f.body ?? '', 'hex'));
    expect(bodies.map((b) => b.length)).toEqual([FRAME_MAX - 8, FRAME_MAX - 8, 116]);
    expect(Buffer.concat(bodies).equals(body)).toBe(true);
    await h.finish();
  });

  test('a channel error closes only the channel with the 404 text; the channel can be reopened after close-ok', async () => {
    const h = new Harness();
    await h.handshake();
    h.send(encodeMethodFrame(1, MethodId.ChannelOpen, {}), encodeMethodFrame(2, MethodId.ChannelOpen, {}));
    h.send(basicGet(1, 'missing'));
    // Anything else on the closing channel is ignored until close-ok.
    h.send(declareQueue(1, 'ignored'));
    h.send(declareQueue(2, 'other'));
    await settle();
    expect(h.newFrames()).toEqual([
      { channel: 1, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } },
      { channel: 2, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } },
      {
        channel: 1,
        method: 'channel.close',
        args: { replyCode: ReplyCode.NotFound, replyText: "NOT_FOUND - no queue 'missing' in vhost '/'", ...blame(MethodId.BasicGet) },
      },
      { channel: 2, method: 'queue.declare-ok', args: { queue: 'other', messageCount: 0, consumerCount: 0 } },
    ]);
    expect(h.vhost.queues.has('ignored')).toBe(false);
    h.send(encodeMethodFrame(1, MethodId.ChannelCloseOk, {}), encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    await settle();
    expect(h.newFrames()).toEqual([{ channel: 1, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } }]);
    await h.finish();
  });

  test('a content frame with no basic.publish before it is a 505 connection.close', async () => {
    const h = new Harness();
    await h.handshake();
    h.send(encodeMethodFrame(1, MethodId.ChannelOpen, {}));
    h.send(encodeHeaderFrame(1, ClassId.Basic, 3, PROPERTIES));
    await settle();
    expect(h.newFrames()).toEqual([
      { channel: 1, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } },
      {
        channel: 0,
        method: 'connection.close',
        args: {
          replyCode: ReplyCode.UnexpectedFrame,
          replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
          classId: 0,
          methodId: 0,
        },
      },
    ]);
    h.send(encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}));
    await settle();
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('a method on a channel that was never opened is a 504 connection.close', async () => {
    const h = new Harness();
    await h.handshake();
    h.send(declareQueue(3, 'q'));
    await settle();
    expect(h.newFrames()).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.ChannelError, replyText: "CHANNEL_ERROR - expected 'channel.open'", ...blame(MethodId.QueueDeclare) },
      },
    ]);
    await h.finish();
  });

  test('connection.close -> close-ok and exclusive queues are gone; the socket is left to the client, as RabbitMQ does', async () => {
    const h = new Harness();
    await h.handshake();
    h.send(
      encodeMethodFrame(1, MethodId.ChannelOpen, {}),
      encodeMethodFrame(1, MethodId.QueueDeclare, {
        queue: 'mine',
        passive: false,
        durable: false,
        exclusive: true,
        autoDelete: false,
        noWait: true,
        arguments: {},
      }),
    );
    await settle();
    expect(h.vhost.queueOrDie('mine').exclusiveOwner).toBe(h.connection.owner);
    h.send(encodeMethodFrame(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }));
    await settle();
    expect(h.newFrames()).toEqual([
      { channel: 1, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } },
      { channel: 0, method: 'connection.close-ok', args: {} },
    ]);
    expect(h.clientEnded).toBe(false);
    // A client closing from several threads: a second close gets its close-ok; frames for channels and
    // heartbeats are discarded.
    h.send(
      encodeMethodFrame(1, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: 1, global: false }),
      HEARTBEAT_FRAME,
      encodeMethodFrame(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'again', classId: 0, methodId: 0 }),
    );
    await settle();
    expect(h.newFrames()).toEqual([{ channel: 0, method: 'connection.close-ok', args: {} }]);
    expect(h.clientEnded).toBe(false);
    expect(h.connectionClosed).not.toHaveBeenCalled();
    expect(h.vhost.queues.has('mine')).toBe(false);
    await h.finish();
  });
});
