/**
 * The transport-agnostic connection core, driven over an in-memory socket pair: frames in, frames out,
 * no TCP. Each test ends its pair so no handshake or close timer outlives it.
 */
import { AccessControl } from '../auth/access';
import { MessageStats } from '../observability/stats';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../auth/passwords';
import { createLogger } from '../observability/logger';
import { FrameReader } from '../protocol/frame-reader';
import { HEARTBEAT_FRAME, PROTOCOL_HEADER, encodeBodyFrame, encodeHeaderFrame } from '../protocol/frames';
import {
  ClassId,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  MethodId,
  ReplyCode,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  methodName,
} from '../protocol/generated/amqp';
import { MemoryStore } from '../store/memory';
import { VirtualHost } from '../vhost/vhost';
import { Connection } from './connection';
import type { ConnectionContext } from './context';
import { duplexPair, type PairSide } from './test-support/duplex-pair';
import { blame } from './test-support/frames';
import { CHANNEL_MAX, FRAME_MAX, settle, tick } from './test-support/harness';

const SERVER_PROPERTIES = { product: 'Leveret', capabilities: { publisher_confirms: true } };

interface Decoded {
  channel: number;
  method?: string;
  args?: object;
  header?: { classId: number; bodySize: number; properties: string };
  body?: string;
}

interface HarnessOptions {
  remoteAddress?: string;
  loopbackUsers?: string[];
  vhosts?: string[];
}

/** One broker-side Connection over an in-memory pair, with a client end that records every reply byte. */
class Harness {
  readonly client: PairSide;
  readonly server: PairSide;
  readonly connection: Connection;
  readonly vhost = new VirtualHost('/', new MemoryStore());
  readonly connectionClosed = jest.fn();
  private readonly chunks: Buffer[] = [];
  clientEnded = false;

  constructor(options: HarnessOptions = {}) {
    const { client, server } = duplexPair(options.remoteAddress ?? '127.0.0.1', 50000);
    this.client = client;
    this.server = server;
    client.on('data', (chunk: Buffer) => this.chunks.push(Buffer.from(chunk)));
    client.on('end', () => {
      this.clientEnded = true;
    });
    const store = new MemoryStore();
    const access = new AccessControl(store, new Set(options.loopbackUsers ?? []));
    access.putUser({ name: 'guest', passwordHash: hashPassword('guest'), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: ['administrator'] });
    for (const vhost of options.vhosts ?? ['/']) {
      access.setPermission({ user: 'guest', vhost, configure: '.*', write: '.*', read: '.*' });
    }
    const vhosts = new Map((options.vhosts ?? ['/']).map((name) => [name, name === '/' ? this.vhost : new VirtualHost(name, new MemoryStore())]));
    const context: ConnectionContext = {
      limits: { frameMax: FRAME_MAX, channelMax: CHANNEL_MAX, heartbeat: 60 },
      logger: createLogger({ level: 'silent' }),
      serverProperties: SERVER_PROPERTIES,
      access,
      stats: new MessageStats(),
      vhost: (name) => vhosts.get(name),
      connectionCount: () => 0,
      channelCount: () => 0,
      connectionClosed: this.connectionClosed,
    };
    this.connection = new Connection(server, context);
  }

  send(...frames: Buffer[]): void {
    this.client.write(Buffer.concat(frames));
  }

  /** Every byte the server wrote so far. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The server's replies as frames; a leading protocol header is not expected here. */
  frames(): Decoded[] {
    return decodeFrames(this.bytes());
  }

  /** Frames received since the last call. */
  private seen = 0;
  newFrames(): Decoded[] {
    const all = this.frames();
    const fresh = all.slice(this.seen);
    this.seen = all.length;
    return fresh;
  }

  async handshake(): Promise<void> {
    this.send(...handshakeFrames());
    await settle();
    expect(this.newFrames().map((f) => f.method)).toEqual([
      'connection.start',
      'connection.tune',
      'connection.open-ok',
    ]);
  }

  /** Ends the client side and waits until the connection reported itself closed. */
  async finish(): Promise<void> {
    if (!this.client.writableEnded) this.client.end();
    for (let i = 0; i < 50 && this.connectionClosed.mock.calls.length === 0; i++) await tick();
    expect(this.connectionClosed).toHaveBeenCalledTimes(1);
    expect(this.connectionClosed).toHaveBeenCalledWith(this.connection);
  }
}

function decodeFrames(bytes: Buffer): Decoded[] {
  const reader = new FrameReader(0);
  reader.push(bytes);
  const out: Decoded[] = [];
  while (reader.next()) {
    const payload = Buffer.from(reader.payload);
    const channel = reader.channel;
    if (reader.frameType === FRAME_METHOD) {
      const id = payload.readUInt32BE(0);
      out.push({ channel, method: methodName(id), args: decodeMethodArgs(id, payload, 4, payload.length) });
    } else if (reader.frameType === FRAME_HEADER) {
      out.push({
        channel,
        header: {
          classId: payload.readUInt16BE(0),
          bodySize: Number(payload.readBigUInt64BE(4)),
          properties: payload.subarray(12).toString('hex'),
        },
      });
    } else if (reader.frameType === FRAME_BODY) {
      out.push({ channel, body: payload.toString('hex') });
    } else {
      out.push({ channel, method: 'heartbeat' });
    }
  }
  expect(reader.bufferedBytes).toBe(0);
  return out;
}

function startOk(response = '\0guest\0guest', clientProperties: object = {}): Buffer {
  return encodeMethodFrame(0, MethodId.ConnectionStartOk, {
    clientProperties: { product: 'test', ...clientProperties },
    mechanism: 'PLAIN',
    response: Buffer.from(response),
    locale: 'en_US',
  });
}

function handshakeFrames(vhost = '/'): Buffer[] {
  return [
    PROTOCOL_HEADER,
    startOk(),
    encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: CHANNEL_MAX, frameMax: FRAME_MAX, heartbeat: 0 }),
    encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: vhost, capabilities: '', insist: false }),
  ];
}

const PROPERTIES = encodeBasicProperties({
  contentType: 'text/plain',
  deliveryMode: 2,
  headers: { 'x-trace': 'abc', n: 7 },
  messageId: 'm-1',
});

function publishFrames(channel: number, exchange: string, routingKey: string, body: Buffer, chunk = body.length): Buffer[] {
  const frames = [
    encodeMethodFrame(channel, MethodId.BasicPublish, { exchange, routingKey, mandatory: false, immediate: false }),
    encodeHeaderFrame(channel, ClassId.Basic, body.length, PROPERTIES),
  ];
  for (let start = 0; start < body.length; start += chunk) {
    frames.push(encodeBodyFrame(channel, body, start, Math.min(start + chunk, body.length)));
  }
  return frames;
}

function declareQueue(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueDeclare, {
    queue,
    passive: false,
    durable: false,
    exclusive: false,
    autoDelete: false,
    noWait: false,
    arguments: {},
  });
}

function basicGet(channel: number, queue: string, noAck = true): Buffer {
  return encodeMethodFrame(channel, MethodId.BasicGet, { queue, noAck });
}

/** A whole client session whose replies do not depend on anything random. */
function clientTrace(): Buffer {
  return Buffer.concat([
    ...handshakeFrames(),
    encodeMethodFrame(1, MethodId.ChannelOpen, {}),
    declareQueue(1, 'q'),
    ...publishFrames(1, '', 'q', Buffer.from('hello, world'), 5),
    ...publishFrames(1, '', 'q', Buffer.alloc(0)),
    basicGet(1, 'q'),
    basicGet(1, 'q'),
    basicGet(1, 'q'),
    basicGet(1, 'missing'),
    encodeMethodFrame(1, MethodId.ChannelCloseOk, {}),
    encodeMethodFrame(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }),
  ]);
}

const EXPECTED_TRACE_REPLIES: Decoded[] = [
  {
    channel: 0,
    method: 'connection.start',
    args: {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: SERVER_PROPERTIES,
      mechanisms: Buffer.from('PLAIN AMQPLAIN'),
      locales: Buffer.from('en_US'),
    },
  },
  { channel: 0, method: 'connection.tune', args: { channelMax: CHANNEL_MAX, frameMax: FRAME_MAX, heartbeat: 60 } },
  { channel: 0, method: 'connection.open-ok', args: { knownHosts: '' } },
  { channel: 1, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } },
  { channel: 1, method: 'queue.declare-ok', args: { queue: 'q', messageCount: 0, consumerCount: 0 } },
  {
    channel: 1,
    method: 'basic.get-ok',
    args: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q', messageCount: 1 },
  },
  { channel: 1, header: { classId: ClassId.Basic, bodySize: 12, properties: PROPERTIES.toString('hex') } },
  { channel: 1, body: Buffer.from('hello, world').toString('hex') },
  {
    channel: 1,
    method: 'basic.get-ok',
    args: { deliveryTag: 2, redelivered: false, exchange: '', routingKey: 'q', messageCount: 0 },
  },
  { channel: 1, header: { classId: ClassId.Basic, bodySize: 0, properties: PROPERTIES.toString('hex') } },
  { channel: 1, method: 'basic.get-empty', args: { clusterId: '' } },
  {
    channel: 1,
    method: 'channel.close',
    args: { replyCode: 404, replyText: "NOT_FOUND - no queue 'missing' in vhost '/'", ...blame(MethodId.BasicGet) },
  },
  { channel: 0, method: 'connection.close-ok', args: {} },
];

describe('Connection: handshake', () => {
  test('start -> start-ok PLAIN -> tune -> tune-ok -> open -> open-ok', async () => {
    const h = new Harness();
    h.send(PROTOCOL_HEADER);
    await settle();
    expect(h.newFrames()).toEqual([EXPECTED_TRACE_REPLIES[0]]);
    h.send(startOk());
    await settle();
    expect(h.newFrames()).toEqual([EXPECTED_TRACE_REPLIES[1]]);
    h.send(encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: 0, frameMax: FRAME_MAX, heartbeat: 0 }));
    await settle();
    expect(h.newFrames()).toEqual([]);
    h.send(encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: '/', capabilities: '', insist: false }));
    await settle();
    expect(h.newFrames()).toEqual([EXPECTED_TRACE_REPLIES[2]]);
    expect(h.connection.user?.name).toBe('guest');
    expect(h.connection.vhost).toBe(h.vhost);
    expect(h.connection.heartbeat).toBe(0);
    expect(h.connection.channelMax).toBe(CHANNEL_MAX);
    await h.finish();
  });

  test('a wrong protocol header gets AMQP 0-0-9-1 back and the stream ends', async () => {
    const h = new Harness();
    h.send(Buffer.from('AMQP\x00\x00\x09\x00'));
    await settle();
    expect(h.bytes()).toEqual(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
    expect(h.clientEnded).toBe(true);
    // Nothing more is read or answered afterwards.
    h.send(startOk());
    await settle();
    expect(h.bytes().length).toBe(8);
    await h.finish();
  });

  test('an HTTP request instead of AMQP gets the protocol header back', async () => {
    const h = new Harness();
    h.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await settle();
    expect(h.bytes().toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('a wrong password closes the socket without connection.close for clients without authentication_failure_close', async () => {
    const h = new Harness();
    h.send(PROTOCOL_HEADER, startOk('\0guest\0wrong'));
    await settle();
    expect(h.frames().map((f) => f.method)).toEqual(['connection.start']);
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('a loopback-only user connecting from elsewhere is refused with 403 when the client asks to be told', async () => {
    const h = new Harness({ remoteAddress: '10.1.2.3', loopbackUsers: ['guest'] });
    h.send(PROTOCOL_HEADER, startOk('\0guest\0guest', { capabilities: { authentication_failure_close: true } }));
    await settle();
    expect(h.frames().slice(1)).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: {
          replyCode: ReplyCode.AccessRefused,
          replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
          classId: 0,
          methodId: 0,
        },
      },
    ]);
    expect(h.clientEnded).toBe(true);
    await h.finish();
  });

  test('connection.open of an unknown vhost is a 530 connection.close', async () => {
    const h = new Harness();
    h.send(...handshakeFrames('/nope'));
    await settle();
    expect(h.frames().slice(2)).toEqual([
      {
        channel: 0,
        method: 'connection.close',
        args: { replyCode: ReplyCode.NotAllowed, replyText: 'NOT_ALLOWED - vhost /nope not found', ...blame(MethodId.ConnectionOpen) },
      },
    ]);
    await h.finish();
  });
});

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

describe('Connection: split input', () => {
  test('the whole client trace in one write gives the expected replies', async () => {
    const h = new Harness();
    h.send(clientTrace());
    await settle();
    expect(h.frames()).toEqual(EXPECTED_TRACE_REPLIES);
    expect(h.clientEnded).toBe(false); // after close-ok the client closes the socket
    await h.finish();
  });

  test('the trace cut at every byte offset gives the same reply bytes', async () => {
    const trace = clientTrace();
    const whole = new Harness();
    whole.send(trace);
    await settle();
    const expected = whole.bytes();
    await whole.finish();
    expect(decodeFrames(expected)).toEqual(EXPECTED_TRACE_REPLIES);

    const mismatches: number[] = [];
    for (let cut = 1; cut < trace.length; cut++) {
      const h = new Harness();
      h.send(trace.subarray(0, cut));
      await tick();
      h.send(trace.subarray(cut));
      await settle();
      if (!h.bytes().equals(expected)) mismatches.push(cut);
      await h.finish();
    }
    expect(mismatches).toEqual([]);
  });

  test('the trace fed one byte per write gives the same reply bytes', async () => {
    const trace = clientTrace();
    const h = new Harness();
    for (let i = 0; i < trace.length; i++) h.send(trace.subarray(i, i + 1));
    await settle();
    expect(h.frames()).toEqual(EXPECTED_TRACE_REPLIES);
    await h.finish();
  });
});
