/**
 * A small raw AMQP client for the probes: it connects over loopback, completes the handshake, sends any bytes, and
 * waits for frames by predicate. It answers the server's connection.close and channel.close (and remembers them),
 * can stop reading its socket (pause) to play a client that never reads, and never buffers more than it must:
 * frames nobody waits for are kept up to a bound, then dropped.
 */
import * as net from 'node:net';
import {
  Args,
  closeText,
  decodeMethod,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FrameCutter,
  M,
  methodFrame,
  methodName,
  PROTOCOL_HEADER,
  type Frame,
  type Method,
  type TableValue,
} from './wire';

export interface ConnectOptions {
  user?: string;
  password?: string;
  vhost?: string;
  timeoutMs?: number;
  /** Announce authentication_failure_close, so a refused login gets connection.close 403 before the socket closes. */
  failureClose?: boolean;
}

/** Thrown when the server ends the connection or a channel while we wait; `code` is its reply code (0: socket). */
export class ServerClosed extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
    readonly scope: 'connection' | 'channel' | 'socket',
  ) {
    super(`${scope} closed by the server: ${code === 0 ? text : `${code} ${text}`}`);
  }
}

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  channel: number | undefined;
  timer: NodeJS.Timeout;
}

const KEEP_FRAMES = 2000;

export class AmqpClient {
  private readonly cutter = new FrameCutter();
  private readonly frames: Frame[] = [];
  private waiters: Waiter[] = [];
  /** The server's connection.close (or the socket end) once it happened. */
  closed: ServerClosed | undefined;
  /** channel -> the server's channel.close. */
  readonly channelCloses = new Map<number, ServerClosed>();
  readonly ended: Promise<void>;
  bytesSent = 0;
  bytesReceived = 0;
  frameMax = 131072;
  channelMax = 2047;
  private nextChannel = 1;

  /** Every client not yet closed, so the runner can destroy what a failed probe left open. */
  static readonly live = new Set<AmqpClient>();

  private constructor(readonly socket: net.Socket) {
    AmqpClient.live.add(this);
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        AmqpClient.live.delete(this);
        if (this.closed === undefined) this.closed = new ServerClosed(0, 'socket closed', 'socket');
        this.failWaiters(this.closed);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** A TCP connection to host:port; nothing sent yet. */
  static open(host: string, port: number, timeoutMs = 5000): Promise<AmqpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timed out'));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new AmqpClient(socket));
      });
    });
  }

  /** Opens a connection and completes the handshake; rejects with ServerClosed if the server refuses. */
  static async connect(host: string, port: number, o: ConnectOptions = {}): Promise<AmqpClient> {
    const c = await AmqpClient.open(host, port, o.timeoutMs);
    try {
      await c.handshake(o);
    } catch (e) {
      c.destroy();
      throw e;
    }
    return c;
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    let frames: Frame[];
    try {
      frames = this.cutter.push(chunk);
    } catch (e) {
      this.closed = new ServerClosed(0, `unreadable input: ${(e as Error).message}`, 'socket');
      this.socket.destroy();
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: Frame): void {
    if (f.type === FRAME_HEARTBEAT) {
      this.write(Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, 0xce]));
      return;
    }
    if (f.type === FRAME_METHOD) {
      const id = f.payload.readUInt32BE(0);
      if (id === M.ConnectionClose) {
        const m = decodeMethod(f);
        this.closed = new ServerClosed(Number(m.f.replyCode), closeText(m).replace(/^\d+ /, ''), 'connection');
        this.write(methodFrame(0, M.ConnectionCloseOk));
        this.failWaiters(this.closed);
        return;
      }
      if (id === M.ChannelClose) {
        const m = decodeMethod(f);
        const err = new ServerClosed(Number(m.f.replyCode), closeText(m).replace(/^\d+ /, ''), 'channel');
        this.channelCloses.set(f.channel, err);
        this.write(methodFrame(f.channel, M.ChannelCloseOk));
        this.failWaiters(err, f.channel);
        return;
      }
    }
    const i = this.waiters.findIndex((w) => w.match(f));
    if (i >= 0) {
      const w = this.waiters.splice(i, 1)[0]!;
      clearTimeout(w.timer);
      w.resolve(f);
      return;
    }
    this.frames.push(f);
    if (this.frames.length > KEEP_FRAMES) this.frames.shift();
  }

  private failWaiters(err: ServerClosed, channel?: number): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (channel === undefined || w.channel === channel) {
        clearTimeout(w.timer);
        w.reject(err);
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  write(b: Buffer): boolean {
    if (this.socket.destroyed) return false;
    this.bytesSent += b.length;
    return this.socket.write(b);
  }

  send(channel: number, id: number, args: Args | Buffer = Buffer.alloc(0)): boolean {
    return this.write(methodFrame(channel, id, args));
  }

  /** The next frame matching `match` (already received ones first); rejects on timeout or when the server closes. */
  waitFrame(match: (f: Frame) => boolean, timeoutMs = 5000, channel?: number): Promise<Frame> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    if (this.closed) return Promise.reject(this.closed);
    const chClosed = channel === undefined ? undefined : this.channelCloses.get(channel);
    if (chClosed) return Promise.reject(chClosed);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve,
        reject,
        channel,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** The next method `id` on `channel`, decoded. */
  async waitMethod(channel: number, id: number, timeoutMs = 5000): Promise<Method> {
    const f = await this.waitFrame((x) => x.type === FRAME_METHOD && x.channel === channel && x.payload.readUInt32BE(0) === id, timeoutMs, channel);
    return decodeMethod(f);
  }

  /** Sends a method and waits for its reply on the same channel. */
  async rpc(channel: number, id: number, args: Args | Buffer, replyId: number, timeoutMs = 5000): Promise<Method> {
    const reply = this.waitMethod(channel, replyId, timeoutMs);
    this.send(channel, id, args);
    return reply;
  }

  async handshake(o: ConnectOptions = {}): Promise<void> {
    const t = o.timeoutMs ?? 5000;
    const start = this.waitMethod(0, M.ConnectionStart, t);
    this.write(PROTOCOL_HEADER);
    await start;
    const caps: Record<string, TableValue> = { authentication_failure_close: o.failureClose ?? false, consumer_cancel_notify: true };
    const tune = this.waitMethod(0, M.ConnectionTune, t);
    this.send(
      0,
      M.ConnectionStartOk,
      new Args()
        .table({ product: 'leveret-probes', capabilities: caps })
        .shortstr('PLAIN')
        .longstr(Buffer.from(`\0${o.user ?? 'guest'}\0${o.password ?? 'guest'}`))
        .shortstr('en_US'),
    );
    const tm = await tune;
    this.channelMax = Number(tm.f.channelMax) || 2047;
    this.frameMax = Number(tm.f.frameMax) || 131072;
    this.send(0, M.ConnectionTuneOk, new Args().short(this.channelMax).long(this.frameMax).short(0));
    await this.rpc(0, M.ConnectionOpen, new Args().shortstr(o.vhost ?? '/').shortstr('').bit(false), M.ConnectionOpenOk, t);
  }

  /** channel.open on the next free channel number; returns it. */
  async openChannel(timeoutMs = 5000): Promise<number> {
    const ch = this.nextChannel++;
    await this.rpc(ch, M.ChannelOpen, new Args().shortstr(''), M.ChannelOpenOk, timeoutMs);
    return ch;
  }

  async queueDeclare(
    ch: number,
    name: string | Buffer,
    o: { durable?: boolean; passive?: boolean; exclusive?: boolean; autoDelete?: boolean; args?: Record<string, TableValue> } = {},
    timeoutMs = 5000,
  ): Promise<Method> {
    const a = new Args()
      .short(0)
      .shortstr(name)
      .bit(o.passive ?? false)
      .bit(o.durable ?? false)
      .bit(o.exclusive ?? false)
      .bit(o.autoDelete ?? false)
      .bit(false)
      .table(o.args ?? {});
    return this.rpc(ch, M.QueueDeclare, a, M.QueueDeclareOk, timeoutMs);
  }

  async exchangeDeclare(ch: number, name: string | Buffer, type: string, o: { durable?: boolean; args?: Record<string, TableValue> } = {}): Promise<Method> {
    const a = new Args().short(0).shortstr(name).shortstr(type).bit(false).bit(o.durable ?? false).bit(false).bit(false).bit(false).table(o.args ?? {});
    return this.rpc(ch, M.ExchangeDeclare, a, M.ExchangeDeclareOk);
  }

  async queueBind(ch: number, queue: string | Buffer, exchange: string | Buffer, key: string | Buffer): Promise<Method> {
    return this.rpc(ch, M.QueueBind, new Args().short(0).shortstr(queue).shortstr(exchange).shortstr(key).bit(false).table({}), M.QueueBindOk);
  }

  async queueDelete(ch: number, name: string | Buffer): Promise<Method> {
    return this.rpc(ch, M.QueueDelete, new Args().short(0).shortstr(name).bit(false).bit(false).bit(false), M.QueueDeleteOk);
  }

  async exchangeDelete(ch: number, name: string | Buffer): Promise<Method> {
    return this.rpc(ch, M.ExchangeDelete, new Args().short(0).shortstr(name).bit(false).bit(false), M.ExchangeDeleteOk);
  }

  async confirmSelect(ch: number): Promise<void> {
    await this.rpc(ch, M.ConfirmSelect, new Args().bit(false), M.ConfirmSelectOk);
  }

  /** basic.consume; with noWait nothing is awaited. */
  consume(ch: number, queue: string | Buffer, tag: string | Buffer, o: { noAck?: boolean; noWait?: boolean; args?: Record<string, TableValue> } = {}): Promise<Method> | undefined {
    const a = new Args()
      .short(0)
      .shortstr(queue)
      .shortstr(tag)
      .bit(false)
      .bit(o.noAck ?? false)
      .bit(false)
      .bit(o.noWait ?? false)
      .table(o.args ?? {});
    if (o.noWait) {
      this.send(ch, M.BasicConsume, a);
      return undefined;
    }
    return this.rpc(ch, M.BasicConsume, a, M.BasicConsumeOk);
  }

  /** A cheap round trip on `ch` (basic.qos -> qos-ok); resolves with its duration in ms. */
  async ping(ch: number, timeoutMs = 60_000): Promise<number> {
    const t0 = performance.now();
    await this.rpc(ch, M.BasicQos, new Args().long(0).short(0).bit(false), M.BasicQosOk, timeoutMs);
    return performance.now() - t0;
  }

  /** Stops reading the socket: the kernel buffers fill and the server's writes stop draining. */
  pause(): void {
    this.socket.pause();
  }

  get isClosed(): boolean {
    return this.closed !== undefined || this.socket.destroyed;
  }

  /** connection.close, waits briefly for close-ok, then destroys the socket. */
  async close(timeoutMs = 2000): Promise<void> {
    if (!this.isClosed) {
      const ok = this.waitMethod(0, M.ConnectionCloseOk, timeoutMs).catch(() => undefined);
      this.send(0, M.ConnectionClose, new Args().short(200).shortstr('bye').short(0).short(0));
      await ok;
    }
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export { methodName };

/** Destroys every client still open. */
export function destroyAllClients(): void {
  for (const c of AmqpClient.live) c.destroy();
  AmqpClient.live.clear();
}

/**
 * Round trips on a channel of its own connection, back to back, while a probe does something else: the longest one
 * is the stall an ordinary AMQP client sees.
 */
export class RttMonitor {
  private running = true;
  private readonly samples: number[] = [];
  private loop: Promise<void> | undefined;
  /** A round trip still waiting when the monitor was stopped counts with its age so far. */
  private pendingSince: number | undefined;
  error: string | undefined;

  private constructor(
    private readonly client: AmqpClient,
    private readonly ch: number,
    private readonly intervalMs: number,
  ) {}

  static async start(host: string, port: number, o: ConnectOptions = {}, intervalMs = 5): Promise<RttMonitor> {
    const c = await AmqpClient.connect(host, port, o);
    const ch = await c.openChannel();
    const m = new RttMonitor(c, ch, intervalMs);
    m.loop = m.run();
    return m;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.pendingSince = performance.now();
      try {
        this.samples.push(await this.client.ping(this.ch));
      } catch (e) {
        if (this.running) this.error = (e as Error).message;
        this.running = false;
      }
      this.pendingSince = undefined;
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  /** Forget the samples so far (the next figures cover only what follows). */
  reset(): void {
    this.samples.length = 0;
  }

  /** Longest round trip so far, including one still in flight. */
  maxMs(): number {
    const pending = this.pendingSince === undefined ? 0 : performance.now() - this.pendingSince;
    return Math.max(pending, ...this.samples, 0);
  }

  count(): number {
    return this.samples.length;
  }

  async stop(): Promise<{ maxMs: number; samples: number; error?: string }> {
    const maxMs = this.maxMs();
    this.running = false;
    const samples = this.samples.length;
    this.client.destroy();
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000))]);
    return this.error === undefined ? { maxMs, samples } : { maxMs, samples, error: this.error };
  }
}
