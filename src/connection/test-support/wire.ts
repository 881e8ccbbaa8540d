/**
 * One broker-side Connection over an in-memory socket pair, its client end recording every reply byte and decoding
 * them in full (content headers and bodies included), with a deterministic client session and its expected replies.
 */
import { AccessControl } from '../../auth/access';
import { MessageStats } from '../../observability/stats';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../../auth/passwords';
import { createLogger } from '../../observability/logger';
import { FrameReader } from '../../protocol/frame-reader';
import { PROTOCOL_HEADER, encodeBodyFrame, encodeHeaderFrame } from '../../protocol/frames';
import {
  ClassId,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  MethodId,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  methodName,
} from '../../protocol/generated/amqp';
import { MemoryStore } from '../../store/memory';
import { VirtualHost } from '../../vhost/vhost';
import { Connection } from '../connection';
import type { ConnectionContext } from '../context';
import { duplexPair, type PairSide } from './duplex-pair';
import { FrameLog } from './frame-log';
import { blame } from './frames';
import { CHANNEL_MAX, FRAME_MAX, tick } from './harness';

export const SERVER_PROPERTIES = { product: 'Leveret', capabilities: { publisher_confirms: true } };

export interface Decoded {
  channel: number;
  method?: string;
  args?: object;
  header?: { classId: number; bodySize: number; properties: string };
  body?: string;
}

export interface HarnessOptions {
  remoteAddress?: string;
  loopbackUsers?: string[];
  vhosts?: string[];
}

/** One broker-side Connection over an in-memory pair, with a client end that records every reply byte. */
export class Harness {
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

  private readonly log = new FrameLog<Decoded>(() => this.frames());

  /** Frames received since the last call. */
  newFrames(): Decoded[] {
    return this.log.newFrames();
  }

  /** Waits until a frame matching `match` arrives; returns the new frames up to and including it (frame-log.ts). */
  until(match: (frame: Decoded) => boolean, what?: string, turns?: number): Promise<Decoded[]> {
    return this.log.until(match, what, turns);
  }

  /** Waits until method `name` arrives on any channel; returns the new frames up to and including it. */
  untilMethod(name: string): Promise<Decoded[]> {
    return this.log.untilMethod(name);
  }

  /** Waits until the server ended the stream. */
  async untilEnded(turns = 1000): Promise<void> {
    for (let i = 0; i < turns && !this.clientEnded; i++) await tick();
    expect(this.clientEnded).toBe(true);
  }

  async handshake(): Promise<void> {
    this.send(...handshakeFrames());
    expect((await this.untilMethod('connection.open-ok')).map((f) => f.method)).toEqual([
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

export function decodeFrames(bytes: Buffer): Decoded[] {
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

export function startOk(response = '\0guest\0guest', clientProperties: object = {}): Buffer {
  return encodeMethodFrame(0, MethodId.ConnectionStartOk, {
    clientProperties: { product: 'test', ...clientProperties },
    mechanism: 'PLAIN',
    response: Buffer.from(response),
    locale: 'en_US',
  });
}

export function handshakeFrames(vhost = '/'): Buffer[] {
  return [
    PROTOCOL_HEADER,
    startOk(),
    encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: CHANNEL_MAX, frameMax: FRAME_MAX, heartbeat: 0 }),
    encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: vhost, capabilities: '', insist: false }),
  ];
}

export const PROPERTIES = encodeBasicProperties({
  contentType: 'text/plain',
  deliveryMode: 2,
  headers: { 'x-trace': 'abc', n: 7 },
  messageId: 'm-1',
});

export function publishFrames(channel: number, exchange: string, routingKey: string, body: Buffer, chunk = body.length): Buffer[] {
  const frames = [
    encodeMethodFrame(channel, MethodId.BasicPublish, { exchange, routingKey, mandatory: false, immediate: false }),
    encodeHeaderFrame(channel, ClassId.Basic, body.length, PROPERTIES),
  ];
  for (let start = 0; start < body.length; start += chunk) {
    frames.push(encodeBodyFrame(channel, body, start, Math.min(start + chunk, body.length)));
  }
  return frames;
}

export function declareQueue(channel: number, queue: string): Buffer {
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

export function basicGet(channel: number, queue: string, noAck = true): Buffer {
  return encodeMethodFrame(channel, MethodId.BasicGet, { queue, noAck });
}

/** A whole client session whose replies do not depend on anything random. */
export function clientTrace(): Buffer {
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

export const EXPECTED_TRACE_REPLIES: Decoded[] = [
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
