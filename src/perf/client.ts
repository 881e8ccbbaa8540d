/**
 * A minimal AMQP 0-9-1 client connection for leveret-perf: the handshake (PLAIN, tune, open) and synchronous
 * set-up methods are awaited one at a time (not a hot path); after set-up every frame goes to `onFrame`, which
 * reads the FrameReader's fields directly (no per-frame allocation when a frame lies within one chunk).
 * Standard methods only, so it works against any 0-9-1 broker.
 */
import * as net from 'node:net';
import {
  FRAME_METHOD,
  FrameReader,
  MethodId,
  PROTOCOL_HEADER,
  decodeMethodArgs,
  encodeMethodFrame,
  type EncodeArgs,
} from '../protocol';
import type { AmqpUri } from './args';

/** The largest frame we accept and ask for. */
const WANT_FRAME_MAX = 131072;

interface Waiter {
  channel: number;
  id: number;
  resolve: (payload: Buffer) => void;
}

export class PerfClient {
  readonly socket: net.Socket;
  readonly reader = new FrameReader(0);
  frameMax = WANT_FRAME_MAX;
  /** Called for every frame once set-up is done (and for frames nobody awaits). */
  onFrame: ((reader: FrameReader) => void) | null = null;
  /** Called once per received chunk, after all of its frames (for batching replies such as acks). */
  onChunkEnd: (() => void) | null = null;
  /** Set when the connection failed or the broker closed it; reported by the run. */
  error: Error | null = null;
  onError: ((err: Error) => void) | null = null;
  private waiter: Waiter | null = null;
  private failWaiter: ((err: Error) => void) | null = null;
  private closing = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      if (!this.closing) this.fail(new Error('connection closed by the broker'));
    });
  }

  /** Connects, authenticates with PLAIN, tunes and opens the vhost. */
  static async open(uri: AmqpUri, connectionName: string): Promise<PerfClient> {
    const socket = net.connect({ host: uri.host, port: uri.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new PerfClient(socket);
    const start = client.expect(0, MethodId.ConnectionStart);
    socket.write(PROTOCOL_HEADER);
    await start;
    const tune = client.expect(0, MethodId.ConnectionTune);
    client.send(0, MethodId.ConnectionStartOk, {
      clientProperties: {
        product: 'leveret-perf',
        connection_name: connectionName,
        capabilities: { publisher_confirms: true, 'basic.nack': true, consumer_cancel_notify: true },
      },
      mechanism: 'PLAIN',
      response: Buffer.from(`\0${uri.user}\0${uri.password}`),
      locale: 'en_US',
    });
    const t = decodeMethodArgs(MethodId.ConnectionTune, ...payloadArgs(await tune));
    client.frameMax = t.frameMax === 0 ? WANT_FRAME_MAX : Math.min(t.frameMax, WANT_FRAME_MAX);
    client.send(0, MethodId.ConnectionTuneOk, { channelMax: t.channelMax, frameMax: client.frameMax, heartbeat: 0 });
    await client.call(0, MethodId.ConnectionOpen, { virtualHost: uri.vhost }, MethodId.ConnectionOpenOk);
    return client;
  }

  send<K extends number>(channel: number, id: K, args: EncodeArgs<K>): void {
    this.socket.write(encodeMethodFrame(channel, id, args));
  }

  /** Sends a synchronous method and resolves with the reply's payload (a copy). */
  async call<K extends number>(channel: number, id: K, args: EncodeArgs<K>, okId: number): Promise<Buffer> {
    const reply = this.expect(channel, okId);
    this.send(channel, id, args);
    return reply;
  }

  private expect(channel: number, id: number): Promise<Buffer> {
    if (this.error !== null) return Promise.reject(this.error);
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = { channel, id, resolve };
      this.failWaiter = reject;
    });
  }

  private onData(chunk: Buffer): void {
    const reader = this.reader;
    reader.push(chunk);
    try {
      while (reader.next()) {
        if (reader.frameType === FRAME_METHOD) {
          const id = reader.buffer.readUInt32BE(reader.start);
          if (id === MethodId.ConnectionClose || id === MethodId.ChannelClose) {
            this.closedByBroker(id, reader.payload);
            return;
          }
          const w = this.waiter;
          if (w !== null && w.id === id && w.channel === reader.channel) {
            this.waiter = null;
            this.failWaiter = null;
            w.resolve(Buffer.from(reader.payload));
            continue;
          }
          if (id === MethodId.ConnectionCloseOk) {
            this.socket.destroy();
            return;
          }
        }
        if (this.onFrame !== null) this.onFrame(reader);
      }
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
      return;
    }
    if (this.onChunkEnd !== null) this.onChunkEnd();
  }

  private closedByBroker(id: number, payload: Buffer): void {
    const a = decodeMethodArgs(MethodId.ConnectionClose, payload, 4, payload.length);
    const what = id === MethodId.ConnectionClose ? 'connection' : 'channel';
    this.fail(new Error(`broker closed the ${what}: ${a.replyCode} ${a.replyText}`));
    if (id === MethodId.ConnectionClose) this.socket.write(encodeMethodFrame(0, MethodId.ConnectionCloseOk, {}));
    this.closing = true;
    this.socket.end();
  }

  private fail(err: Error): void {
    if (this.error !== null || this.closing) return;
    this.error = err;
    const f = this.failWaiter;
    this.waiter = null;
    this.failWaiter = null;
    if (f !== null) f(err);
    if (this.onError !== null) this.onError(err);
  }

  /** connection.close, then waits (at most timeoutMs) for close-ok or the socket's end. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.socket.destroyed) return;
    this.closing = true;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.error === null) {
      this.send(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'leveret-perf done', classId: 0, methodId: 0 });
    } else {
      this.socket.destroy();
    }
    await done;
  }
}

function payloadArgs(payload: Buffer): [Buffer, number, number] {
  return [payload, 4, payload.length];
}
