/**
 * An in-memory broker for connection tests: real Connections driven over in-memory socket pairs, wired to a
 * MemoryStore, an AccessControl and a VhostRegistry the way broker.ts wires them, with connectionCount and
 * channelCount counting the harness's open connections the way broker.ts counts its own. Test files subclass
 * TestBroker to create their users and permissions.
 */
import { AccessControl } from '../../auth/access';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../../auth/passwords';
import { createLogger } from '../../observability/logger';
import { MessageStats } from '../../observability/stats';
import type { FieldTable } from '../../protocol/field-table';
import { FrameReader } from '../../protocol/frame-reader';
import { PROTOCOL_HEADER, encodeBodyFrame, encodeHeaderFrame } from '../../protocol/frames';
import {
  ClassId,
  FRAME_METHOD,
  MethodId,
  decodeMethodArgs,
  encodeBasicProperties,
  encodeMethodFrame,
  methodName,
} from '../../protocol/generated/amqp';
import { MemoryStore } from '../../store/memory';
import type { Clock } from '../../util/clock';
import { VhostRegistry } from '../../vhost/registry';
import type { VirtualHost } from '../../vhost/vhost';
import { Connection } from '../connection';
import type { ConnectionContext } from '../context';
import { duplexPair, type PairSide } from './duplex-pair';
import { FrameLog } from './frame-log';

export const FRAME_MAX = 131072;
export const CHANNEL_MAX = 2047;
/** An owner for resources the tests create directly on the vhost, as another connection would. */
export const ELSEWHERE = { conn: 'elsewhere' };

export interface Decoded {
  channel: number;
  method?: string;
  args?: Record<string, unknown>;
}

export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await tick();
}

/** Method frames decoded with their arguments; other frames as their channel only. */
export function decodeFrames(bytes: Buffer): Decoded[] {
  const reader = new FrameReader(0);
  reader.push(bytes);
  const out: Decoded[] = [];
  while (reader.next()) {
    const payload = Buffer.from(reader.payload);
    if (reader.frameType === FRAME_METHOD) {
      const id = payload.readUInt32BE(0);
      out.push({
        channel: reader.channel,
        method: methodName(id),
        args: decodeMethodArgs(id, payload, 4, payload.length) as Record<string, unknown>,
      });
    } else {
      out.push({ channel: reader.channel });
    }
  }
  return out;
}

export interface TestBrokerOptions {
  /** Users created with their name as password and no tags; their permissions are the subclass's to set. */
  users: string[];
  /** Whether Client.ready() expects channel.open-ok for channel 1, or only sends channel.open. */
  confirmChannelOpen: boolean;
  /** The connections' clock (heartbeats, timeouts, channels' consumer timeouts); the system clock if absent. */
  clock?: Clock;
}

/** The part of broker.ts that matters here: one store, access control, vhost registry ('/' and 'other') and connection set. */
export class TestBroker {
  readonly store = new MemoryStore();
  readonly access = new AccessControl(this.store, new Set());
  readonly vhosts = new VhostRegistry(this.store);
  readonly connections = new Set<Connection>();
  readonly context: ConnectionContext;

  constructor(readonly options: TestBrokerOptions) {
    this.vhosts.put({ name: '/', description: '', tags: [] });
    this.vhosts.put({ name: 'other', description: '', tags: [] });
    for (const name of options.users) {
      this.access.putUser({ name, passwordHash: hashPassword(name), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: [] });
    }
    this.context = {
      limits: { frameMax: FRAME_MAX, channelMax: CHANNEL_MAX, heartbeat: 0 },
      clock: options.clock,
      logger: createLogger({ level: 'silent' }),
      serverProperties: { product: 'Leveret' },
      access: this.access,
      stats: new MessageStats(),
      vhost: (name) => this.vhosts.get(name),
      // Consulted only when a limit is set.
      connectionCount: ({ vhost, user }) => {
        let n = 0;
        for (const c of this.connections) {
          if (c.isOpen && (vhost === undefined || c.vhost.name === vhost) && (user === undefined || c.userName === user)) n++;
        }
        return n;
      },
      channelCount: (user) => {
        let n = 0;
        for (const c of this.connections) if (c.isOpen && c.userName === user) n += c.channels.size;
        return n;
      },
      connectionClosed: (connection) => this.connections.delete(connection as Connection),
    };
    // As broker.ts: connections first, then the permissions.
    this.vhosts.onDeleted((name) => {
      for (const connection of this.connections) connection.vhostDeleted(name);
      this.access.vhostDeleted(name);
    });
    this.access.onUserDeleted((name) => {
      for (const connection of this.connections) connection.userDeleted(name);
    });
  }

  get root(): VirtualHost {
    return this.vhosts.get('/') as VirtualHost;
  }

  connect(user: string, vhost = '/', clientProperties: FieldTable = { product: 'test' }): Client {
    return new Client(this, user, vhost, clientProperties);
  }
}

/** A client end speaking to one broker-side Connection; records every frame the server writes. */
export class Client {
  readonly client: PairSide;
  readonly connection: Connection;
  private readonly chunks: Buffer[] = [];
  private readonly log = new FrameLog<Decoded>(() => decodeFrames(Buffer.concat(this.chunks)));
  ended = false;
  closed = false;

  constructor(
    private readonly broker: TestBroker,
    private readonly user: string,
    private readonly vhost: string,
    private readonly clientProperties: FieldTable,
  ) {
    const { client, server } = duplexPair('127.0.0.1', 50000);
    this.client = client;
    client.on('data', (chunk: Buffer) => this.chunks.push(Buffer.from(chunk)));
    client.on('end', () => {
      this.ended = true;
    });
    this.connection = new Connection(server, {
      ...broker.context,
      connectionClosed: (connection) => {
        this.closed = true;
        broker.context.connectionClosed(connection);
      },
    });
    broker.connections.add(this.connection);
  }

  send(...frames: Buffer[]): void {
    this.client.write(Buffer.concat(frames));
  }

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

  /** Runs the handshake up to connection.open and returns what the server answered after connection.tune. */
  async open(): Promise<Decoded[]> {
    this.send(
      PROTOCOL_HEADER,
      encodeMethodFrame(0, MethodId.ConnectionStartOk, {
        clientProperties: this.clientProperties,
        mechanism: 'PLAIN',
        response: Buffer.from(`\0${this.user}\0${this.user}`),
        locale: 'en_US',
      }),
      encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: CHANNEL_MAX, frameMax: FRAME_MAX, heartbeat: 0 }),
      encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: this.vhost, capabilities: '', insist: false }),
    );
    const frames = await this.until((f) => f.method === 'connection.open-ok' || f.method === 'connection.close', 'the answer to connection.open');
    expect(frames.slice(0, 2).map((f) => f.method)).toEqual(['connection.start', 'connection.tune']);
    return frames.slice(2);
  }

  /** Handshake that must succeed, then channel 1 opened (and its open-ok expected if the broker says so). */
  async ready(): Promise<void> {
    expect((await this.open()).map((f) => f.method)).toEqual(['connection.open-ok']);
    if (!this.broker.options.confirmChannelOpen) {
      await this.call(channelOpen(1));
      return;
    }
    this.send(channelOpen(1));
    expect(await this.untilMethod('channel.open-ok')).toEqual([openOk(1)]);
  }

  /** Sends frames and returns the replies they caused. */
  async call(...frames: Buffer[]): Promise<Decoded[]> {
    this.send(...frames);
    await settle();
    return this.newFrames();
  }

  /** A graceful AMQP close: connection.close, expecting close-ok and the end of the stream. */
  async close(): Promise<void> {
    expect(await this.call(encodeMethodFrame(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }))).toEqual([
      { channel: 0, method: 'connection.close-ok', args: {} },
    ]);
    await this.finish();
  }

  /** Ends the client side and waits until the connection reported itself closed. */
  async finish(): Promise<void> {
    if (!this.client.writableEnded) this.client.end();
    for (let i = 0; i < 1000 && !this.closed; i++) await tick();
    expect(this.closed).toBe(true);
    expect(this.broker.connections.has(this.connection)).toBe(false);
  }
}

// ---- frames -----------------------------------------------------------------------------------------

export function channelOpen(channel: number): Buffer {
  return encodeMethodFrame(channel, MethodId.ChannelOpen, {});
}

export function openOk(channel: number): Decoded {
  return { channel, method: 'channel.open-ok', args: { channelId: Buffer.alloc(0) } };
}

export function queueDelete(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.QueueDelete, { queue, ifUnused: false, ifEmpty: false, noWait: false });
}

export function basicGet(channel: number, queue: string): Buffer {
  return encodeMethodFrame(channel, MethodId.BasicGet, { queue, noAck: true });
}

const PROPERTIES = encodeBasicProperties({ contentType: 'text/plain' });

export function publish(channel: number, exchange: string, routingKey: string, body = 'hi'): Buffer[] {
  const bytes = Buffer.from(body);
  return [
    encodeMethodFrame(channel, MethodId.BasicPublish, { exchange, routingKey, mandatory: false, immediate: false }),
    encodeHeaderFrame(channel, ClassId.Basic, bytes.length, PROPERTIES),
    encodeBodyFrame(channel, bytes, 0, bytes.length),
  ];
}
