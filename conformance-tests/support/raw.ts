/**
 * A raw-socket AMQP client for conformance tests amqplib cannot express: bad frames, wrong protocol headers,
 * protocol violations, clients that vanish. It encodes and decodes with Leveret's own codec (src/protocol), and
 * keeps every received byte so a test can also look at what arrived outside frames (the protocol-header reply).
 */
import * as net from 'node:net';
import { FrameReader } from '../../src/protocol/frame-reader';
import { PROTOCOL_HEADER } from '../../src/protocol/frames';
import { decodeMethodArgs, encodeMethodFrame, FRAME_HEARTBEAT, FRAME_METHOD, MethodId } from '../../src/protocol/generated/amqp';

export interface RawFrame {
  type: number;
  channel: number;
  /** A copy of the payload. */
  payload: Buffer;
}

export interface RawMethod {
  channel: number;
  id: number;
  args: Record<string, unknown>;
}

export interface CloseArgs {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export interface HandshakeOptions {
  user?: string;
  password?: string;
  vhost?: string;
  /** Sent in tune-ok; defaults to echoing connection.tune. */
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  /** client-properties for start-ok; by default only a product name (no capabilities). */
  clientProperties?: Record<string, unknown>;
  timeoutMs?: number;
}

export interface HandshakeResult {
  start: Record<string, unknown>;
  tune: { channelMax: number; frameMax: number; heartbeat: number };
}

const DEFAULT_WAIT_MS = 5000;

export class RawClient {
  private readonly socket: net.Socket;
  private readonly reader = new FrameReader(0);
  private readonly frames: RawFrame[] = [];
  private readonly rawChunks: Buffer[] = [];
  private wake: (() => void) | undefined;
  private parseError: Error | undefined;
  private ended = false;
  private readonly endedPromise: Promise<void>;
  /** Parse frames from received bytes; off for tests that expect raw bytes (protocol header mismatch). */
  private framing = true;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.endedPromise = new Promise<void>((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      });
    });
    socket.on('error', () => {
      // ECONNRESET and the like: the 'close' event follows and is what tests observe
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Opens a TCP connection to the broker at `url` (amqp://host:port); sends nothing. */
  static open(url: string): Promise<RawClient> {
    const u = new URL(url);
    const port = u.port === '' ? 5672 : Number(u.port);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: u.hostname, port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Opens a connection and completes the handshake (PLAIN guest/guest, tune-ok, connection.open). */
  static async connect(url: string, options: HandshakeOptions = {}): Promise<RawClient> {
    const c = await RawClient.open(url);
    const result = await c.handshake(options);
    if (result instanceof Error) {
      c.destroy();
      throw result;
    }
    return c;
  }

  private onData(chunk: Buffer): void {
    this.rawChunks.push(chunk);
    if (this.framing && this.parseError === undefined) {
      this.reader.push(chunk);
      try {
        while (this.reader.next()) {
          this.frames.push({ type: this.reader.frameType, channel: this.reader.channel, payload: Buffer.from(this.reader.payload) });
        }
      } catch (err) {
        this.parseError = err as Error;
      }
    }
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    if (w) w();
  }

  private async waitForChange(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`raw client: timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops frame parsing: for a test that expects the server to answer with raw bytes, not frames. */
  rawMode(): void {
    this.framing = false;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Every byte received so far. */
  received(): Buffer {
    return Buffer.concat(this.rawChunks);
  }

  write(bytes: Buffer | Buffer[]): void {
    if (this.ended) return;
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) this.socket.write(b);
  }

  sendProtocolHeader(header: Buffer = PROTOCOL_HEADER): void {
    this.write(header);
  }

  sendMethod(channel: number, id: number, args: object = {}): void {
    this.write(encodeMethodFrame(channel, id, args as never));
  }

  /** The next frame of any type, or 'closed' when the socket has closed and no frame is left. */
  async nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<RawFrame | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.parseError) throw this.parseError;
      if (this.ended) return 'closed';
      await this.waitForChange(deadline, 'a frame');
    }
  }

  /** The next method frame (heartbeats are skipped), decoded; 'closed' when the socket closed first. */
  async nextMethod(timeoutMs = DEFAULT_WAIT_MS): Promise<RawMethod | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (f === 'closed') return 'closed';
      if (f.type === FRAME_HEARTBEAT) continue;
      if (f.type !== FRAME_METHOD) throw new Error(`raw client: expected a method frame, got frame type ${f.type}`);
      return decodeMethodFrame(f);
    }
  }

  /** The next method, which must be `id`; returns its arguments. */
  async expectMethod(id: number, timeoutMs = DEFAULT_WAIT_MS): Promise<Record<string, unknown>> {
    const m = await this.nextMethod(timeoutMs);
    if (m === 'closed') throw new Error(`raw client: socket closed while waiting for method 0x${id.toString(16)}`);
    if (m.id !== id) {
      throw new Error(`raw client: expected method 0x${id.toString(16)}, got 0x${m.id.toString(16)} ${JSON.stringify(m.args)}`);
    }
    return m.args;
  }

  /**
   * Expects connection.close from the server and answers close-ok. With `waitForSocket` (the default) also waits
   * for the server to close the socket; after a framing error the server cannot be expected to read our close-ok,
   * so those tests pass false. Returns the close arguments.
   */
  async expectConnectionClose(options: { timeoutMs?: number; waitForSocket?: boolean } = {}): Promise<CloseArgs> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const m = await this.nextMethod(timeoutMs);
    if (m === 'closed') throw new Error('raw client: socket closed without connection.close');
    if (m.id !== MethodId.ConnectionClose || m.channel !== 0) {
      throw new Error(`raw client: expected connection.close on channel 0, got 0x${m.id.toString(16)} on ${m.channel} ${JSON.stringify(m.args)}`);
    }
    this.sendMethod(0, MethodId.ConnectionCloseOk, {});
    if (options.waitForSocket ?? true) await this.waitForClose(timeoutMs);
    return m.args as unknown as CloseArgs;
  }

  /**
   * Expects the server to end the connection: either with connection.close (answered with close-ok; returns its
   * arguments) or by closing the socket without one (returns 'socket-closed').
   */
  async expectConnectionEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseArgs | 'socket-closed'> {
    const m = await this.nextMethod(timeoutMs);
    if (m === 'closed') return 'socket-closed';
    if (m.id !== MethodId.ConnectionClose || m.channel !== 0) {
      throw new Error(`raw client: expected the connection to end, got 0x${m.id.toString(16)} on ${m.channel} ${JSON.stringify(m.args)}`);
    }
    this.sendMethod(0, MethodId.ConnectionCloseOk, {});
    return m.args as unknown as CloseArgs;
  }

  /** Expects the server to close the socket without sending any method frame first. */
  async expectSilentClose(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const m = await this.nextMethod(timeoutMs);
    if (m !== 'closed') {
      throw new Error(`raw client: expected the socket to close without a method, got 0x${m.id.toString(16)} ${JSON.stringify(m.args)}`);
    }
  }

  /** Expects channel.close on `channel` from the server and answers close-ok. Returns the close arguments. */
  async expectChannelClose(channel: number, timeoutMs = DEFAULT_WAIT_MS): Promise<CloseArgs> {
    const m = await this.nextMethod(timeoutMs);
    if (m === 'closed') throw new Error('raw client: socket closed without channel.close');
    if (m.id !== MethodId.ChannelClose || m.channel !== channel) {
      throw new Error(`raw client: expected channel.close on ${channel}, got 0x${m.id.toString(16)} on ${m.channel} ${JSON.stringify(m.args)}`);
    }
    this.sendMethod(channel, MethodId.ChannelCloseOk, {});
    return m.args as unknown as CloseArgs;
  }

  /** Resolves when the server has closed the socket. */
  async waitForClose(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.endedPromise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('raw client: timed out waiting for the server to close the socket')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * Protocol header, start -> start-ok (PLAIN), tune -> tune-ok, open -> open-ok. Returns the server's start and
   * tune arguments, or the connection.close error (as an Error carrying the close args) if the server refused.
   */
  async handshake(options: HandshakeOptions = {}): Promise<HandshakeResult | (Error & { close: CloseArgs | 'socket-closed' })> {
    this.sendProtocolHeader();
    const start = await this.expectMethod(MethodId.ConnectionStart);
    const user = options.user ?? 'guest';
    const password = options.password ?? 'guest';
    this.sendMethod(0, MethodId.ConnectionStartOk, {
      clientProperties: options.clientProperties ?? { product: 'leveret-conformance-raw' },
      mechanism: 'PLAIN',
      response: Buffer.from(`\0${user}\0${password}`),
      locale: 'en_US',
    });
    const afterStartOk = await this.nextMethod(options.timeoutMs ?? DEFAULT_WAIT_MS);
    if (afterStartOk === 'closed') return Object.assign(new Error('raw client: socket closed after start-ok'), { close: 'socket-closed' as const });
    if (afterStartOk.id === MethodId.ConnectionClose) return this.refused(afterStartOk);
    if (afterStartOk.id !== MethodId.ConnectionTune) throw new Error(`raw client: expected connection.tune, got 0x${afterStartOk.id.toString(16)}`);
    const tune = afterStartOk.args as HandshakeResult['tune'];
    this.sendMethod(0, MethodId.ConnectionTuneOk, {
      channelMax: options.channelMax ?? tune.channelMax,
      frameMax: options.frameMax ?? tune.frameMax,
      heartbeat: options.heartbeat ?? 0,
    });
    this.sendMethod(0, MethodId.ConnectionOpen, { virtualHost: options.vhost ?? '/', capabilities: '', insist: false });
    const afterOpen = await this.nextMethod();
    if (afterOpen === 'closed') throw new Error('raw client: socket closed after connection.open');
    if (afterOpen.id === MethodId.ConnectionClose) return this.refused(afterOpen);
    if (afterOpen.id !== MethodId.ConnectionOpenOk) throw new Error(`raw client: expected connection.open-ok, got 0x${afterOpen.id.toString(16)}`);
    return { start, tune };
  }

  private refused(m: RawMethod): Error & { close: CloseArgs } {
    this.sendMethod(0, MethodId.ConnectionCloseOk, {});
    const close = m.args as unknown as CloseArgs;
    return Object.assign(new Error(`connection refused: ${close.replyCode} ${close.replyText}`), { close });
  }

  /** channel.open -> channel.open-ok on `channel`. */
  async openChannel(channel: number): Promise<void> {
    this.sendMethod(channel, MethodId.ChannelOpen, { outOfBand: '' });
    const m = await this.nextMethod();
    if (m === 'closed' || m.id !== MethodId.ChannelOpenOk || m.channel !== channel) {
      throw new Error(`raw client: channel.open on ${channel} failed: ${m === 'closed' ? 'socket closed' : JSON.stringify(m)}`);
    }
  }

  /** Clean connection.close from the client. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.sendMethod(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 });
    try {
      for (;;) {
        const m = await this.nextMethod(2000);
        if (m === 'closed' || m.id === MethodId.ConnectionCloseOk) break;
      }
    } catch {
      // fall through to destroy
    }
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function decodeMethodFrame(f: RawFrame): RawMethod {
  const id = f.payload.readUInt32BE(0);
  const args = decodeMethodArgs(id, f.payload, 4, f.payload.length) as Record<string, unknown>;
  return { channel: f.channel, id, args };
}

/** A method frame with an arbitrary (possibly unknown) class and method id and raw argument bytes. */
export function rawMethodFrame(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): Buffer {
  const payload = Buffer.alloc(4 + args.length);
  payload.writeUInt16BE(classId, 0);
  payload.writeUInt16BE(methodId, 2);
  args.copy(payload, 4);
  return rawFrame(FRAME_METHOD, channel, payload);
}

/** Any frame: type, channel, payload, and a frame-end octet (0xCE unless given). */
export function rawFrame(type: number, channel: number, payload: Buffer, frameEnd = 0xce): Buffer {
  const b = Buffer.alloc(payload.length + 8);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[b.length - 1] = frameEnd;
  return b;
}

export { MethodId };
