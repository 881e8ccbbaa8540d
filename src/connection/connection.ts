import type { Logger } from 'pino';
import type { User } from '../auth/users';
import type { Channel } from '../channel/channel';
import { ContentBudget } from '../channel/command-assembler';
import type { ChannelDeps, ChannelLifecycle, ChannelSession } from '../channel/ports';
import type { MessageStats } from '../observability/stats';
import { AmqpError } from '../protocol/amqp-error';
import { FrameError } from '../protocol/errors';
import type { FieldTable } from '../protocol/field-table';
import { FrameReader } from '../protocol/frame-reader';
import { PROTOCOL_HEADER } from '../protocol/frames';
import {
  MethodId,
  ReplyCode,
  type ConnectionOpenArgs,
  type ConnectionStartOkArgs,
  type ConnectionTuneOkArgs,
} from '../protocol/generated/amqp';
import { systemClock, type Clock, type Timer } from '../util/clock';
import type { VirtualHost } from '../vhost/vhost';
import type { ConnectionContext } from './context';
import { ChannelTable, closeArgs, decodeArgs, toAmqpError } from './dispatch';
import { FlowControl, type FlowHost } from './flow';
import { capability, handshakeError, login, negotiate, openVhost, startArgs, tuneArgs } from './handshake';
import { Heartbeats, type HeartbeatHost } from './heartbeat';
import type { ConnectionInfo } from './info';
import { connectionInfo } from './view';
import { ConnectionPermissions } from './permissions';
import type { Transport } from './transport';
import { FrameWriter } from './writer';

export type { Transport } from './transport';

/** The order of info.ts's STATE_NAMES. */
const enum State {
  AwaitingHeader,
  AwaitingStartOk,
  AwaitingTuneOk,
  AwaitingOpen,
  Open,
  /** We sent connection.close and wait for close-ok. */
  Closing,
  /**
   * We answered the client's connection.close with close-ok and leave the socket to the client, as RabbitMQ does:
   * a client closing from several threads may still send connection.close (answered again) or close-ok.
   */
  CloseOkSent,
  Closed,
}

/** Time allowed from accept to connection.open by default, as RabbitMQ's handshake_timeout. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Time we wait for connection.close-ok after sending connection.close. */
const CLOSE_OK_TIMEOUT_MS = 3_000;
/** Longest we leave the socket to a client after our close-ok (RabbitMQ's CLOSING_TIMEOUT), or its heartbeat if shorter. */
const CLOSED_SOCKET_TIMEOUT_S = 30;

let nextConnectionId = 1;

/**
 * One client connection: the socket's life, the handshake's state machine (its steps in handshake.ts), the reading
 * of frames (channel frames to dispatch.ts's channel table), and the one place where errors become channel.close
 * (soft) or connection.close (hard). Flow control is flow.ts's, heartbeats heartbeat.ts's, permission checks
 * permissions.ts's.
 */
export class Connection implements ChannelSession, ChannelLifecycle, FlowHost, HeartbeatHost {
  readonly id = nextConnectionId++;
  /** RabbitMQ's connection name: "peer:port -> local:port". */
  readonly name: string;
  readonly connectedAt: number;
  authMechanism = '';
  readonly logger: Logger;
  readonly owner: object = this;
  readonly channels = new Map<number, Channel>();
  /** Bytes of partly received bodies across this connection's channels, and content limits (command-assembler.ts). */
  readonly contentBudget: ContentBudget;
  readonly consumerMaxPerChannel: number | undefined;
  user: User | undefined;
  clientProperties: FieldTable = {};
  consumerCancelNotify = false;
  blockedNotify = false;
  channelMax: number;
  heartbeat = 0;
  /** What each channel is built with; set by connection.open. */
  channelDeps!: ChannelDeps;
  readonly writer: FrameWriter;

  private state = State.AwaitingHeader;
  private readonly reader: FrameReader;
  private readonly clock: Clock;
  /** When the socket is read: credit flow, output back-pressure, resource alarms (flow.ts). */
  readonly flow: FlowControl;
  private readonly heartbeats: Heartbeats;
  private readonly table: ChannelTable;
  /** The vhost opened by connection.open. */
  currentVhost: VirtualHost | undefined;
  /** The handshake timeout, then the close handshake's timeouts. */
  private timer: Timer | undefined;
  private released = false;

  constructor(
    private readonly socket: Transport,
    private readonly context: ConnectionContext,
  ) {
    const { limits } = context;
    const clock = context.clock ?? systemClock;
    this.clock = clock;
    this.connectedAt = clock.now();
    this.channelMax = limits.channelMax;
    this.reader = new FrameReader(limits.frameMax);
    this.writer = new FrameWriter(socket, limits.frameMax, limits.outputBufferMax);
    this.contentBudget = new ContentBudget(limits.maxMessageSize, limits.fieldTableMaxDepth);
    this.consumerMaxPerChannel = limits.consumerMaxPerChannel;
    this.flow = new FlowControl(this, socket, this.writer, clock, limits.sendTimeoutMs);
    this.heartbeats = new Heartbeats(this, socket, this.writer, clock);
    this.table = new ChannelTable(this, context, this.channels);
    this.writer.onBlocked = () => this.flow.watchSend();
    this.name = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} -> ${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
    this.logger = context.logger.child({ connection: this.id, client: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.guarded(() => this.onDrain()));
    socket.on('error', (err: NodeJS.ErrnoException) => this.logger.debug({ err: err.code ?? err.message }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
    this.setTimer(() => this.guarded(() => this.abort('handshake timeout; closing connection')), limits.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS, false);
    this.logger.debug('connection accepted');
  }

  // ---- what channels read (ChannelSession) -------------------------------------------------------

  get vhost(): VirtualHost {
    return this.currentVhost as VirtualHost;
  }

  get brokerStats(): MessageStats {
    return this.context.stats;
  }

  get userName(): string {
    return this.user?.name ?? '';
  }

  get consumerTimeout(): number {
    return this.context.limits.consumerTimeout ?? 0;
  }

  /** True once connection.open succeeded and until the connection closes. */
  get isOpen(): boolean {
    return this.state === State.Open;
  }

  /** The connection's close handshake runs: frames on channels are discarded. */
  get isClosing(): boolean {
    return this.state === State.Closing || this.state === State.CloseOkSent;
  }

  get isClosed(): boolean {
    return this.state === State.Closed;
  }

  /** No frame is handled now (output over its limit, or blocked by an alarm): the silence is ours, not the client's. */
  get inputHeld(): boolean {
    return this.flow.readingStopped;
  }

  hasConsumers(): boolean {
    for (const channel of this.channels.values()) if (channel.consumers.size > 0) return true;
    return false;
  }

  // ---- how channels report (ChannelLifecycle) ----------------------------------------------------

  /** A channel error raised outside a method handler (a consumer timeout): channel.close as usual. */
  channelError(channelId: number, error: AmqpError): void {
    if (this.channels.has(channelId)) this.fail(error, channelId, 0);
  }

  internalError(err: unknown): void {
    this.logger.error({ err }, 'internal error outside a frame handler');
    try {
      this.closeWithError(new AmqpError(ReplyCode.InternalError, 'internal error'));
    } catch (closeErr) {
      // Even the close could not be sent: the socket goes, the process stays.
      this.logger.error({ err: closeErr }, 'cannot send connection.close; dropping the socket');
      this.socket.destroy();
    }
  }

  closedByClient(channelId: number): void {
    this.table.drop(channelId);
    this.writer.method(channelId, MethodId.ChannelCloseOk, {});
  }

  /** Runs `work` (a socket event, a timer) so that what it throws closes this connection instead of the process. */
  guarded(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.internalError(err);
    }
  }

  // ---- reading -----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    // A node that lost its lead handles nothing more it reads (context.ts); the broker closes every connection.
    if (this.context.serving?.() === false) return void this.socket.destroy();
    try {
      this.heartbeats.received = true;
      this.reader.push(chunk);
      this.readFrames();
    } catch (err) {
      // fail() itself, or a confirm flush, threw: a bug, contained to this connection.
      this.internalError(err);
    }
  }

  /** Handles the frames received so far, stopping (the rest stay buffered) once output is over its limit or blocked. */
  readFrames(): void {
    const reader = this.reader;
    const flow = this.flow;
    const table = this.table;
    try {
      if (this.state === State.AwaitingHeader && !this.readProtocolHeader()) return;
      while ((this.state as State) !== State.Closed && !flow.readingStopped && reader.next()) {
        table.frame(reader.frameType, reader.channel, reader.buffer, reader.start, reader.end);
        if (this.writer.queuedBytes > this.writer.limit) flow.holdInput();
      }
    } catch (err) {
      this.fail(err, 0, 0);
    }
    for (const channel of this.channels.values()) channel.flushConfirms();
  }

  private readProtocolHeader(): boolean {
    const header = this.reader.readProtocolHeader();
    if (header === null) return false;
    if (!header.equals(PROTOCOL_HEADER)) {
      this.logger.warn({ header: header.toString('hex') }, 'protocol header mismatch; replied with AMQP 0-9-1 and closed');
      this.state = State.Closed;
      this.socket.end(PROTOCOL_HEADER);
      return false;
    }
    this.state = State.AwaitingStartOk;
    this.writer.method(0, MethodId.ConnectionStart, startArgs(this.context.serverProperties, this.socket));
    return true;
  }

  // ---- connection class --------------------------------------------------------------------------

  /** A method on channel 0, its frame payload (method id first) being `payload`. */
  connectionMethod(id: number, payload: Buffer): void {
    const args = decodeArgs(id, payload, 4, payload.length);
    switch (this.state) {
      case State.AwaitingStartOk:
        if (id !== MethodId.ConnectionStartOk) throw handshakeError(id, 'connection.start-ok');
        this.startOk(args as ConnectionStartOkArgs);
        return;
      case State.AwaitingTuneOk:
        if (id !== MethodId.ConnectionTuneOk) throw handshakeError(id, 'connection.tune-ok');
        this.tuneOk(args as ConnectionTuneOkArgs);
        return;
      case State.AwaitingOpen:
        if (id === MethodId.ConnectionClose) break;
        if (id !== MethodId.ConnectionOpen) throw handshakeError(id, 'connection.open');
        this.open(args as ConnectionOpenArgs);
        return;
      case State.Closing:
      case State.CloseOkSent:
        // Both sides closing at once: each close is answered, and the close-ok we wait for (or one the client sends
        // after ours) ends the connection. Anything else is discarded, as RabbitMQ does.
        if (id === MethodId.ConnectionCloseOk) this.endSocket();
        else if (id === MethodId.ConnectionClose) this.writer.method(0, MethodId.ConnectionCloseOk, {});
        return;
      default:
        break;
    }
    switch (id) {
      case MethodId.ConnectionClose:
        this.logger.info('connection closed by client');
        this.releaseResources();
        this.writer.method(0, MethodId.ConnectionCloseOk, {});
        this.leaveSocketToClient();
        return;
      case MethodId.ConnectionCloseOk:
        return;
      case MethodId.ConnectionUpdateSecret:
        this.writer.method(0, MethodId.ConnectionUpdateSecretOk, {});
        return;
      default:
        throw new AmqpError(ReplyCode.ChannelError, 'unexpected method in connection state running', id >>> 16, id & 0xffff);
    }
  }

  private startOk(args: ConnectionStartOkArgs): void {
    this.clientProperties = args.clientProperties;
    this.authMechanism = args.mechanism;
    this.consumerCancelNotify = capability(args.clientProperties, 'consumer_cancel_notify');
    this.blockedNotify = capability(args.clientProperties, 'connection.blocked');
    const result = login(this.context, args, this.socket, this.logger);
    if (!('error' in result)) {
      this.user = result;
      this.state = State.AwaitingTuneOk;
      this.writer.method(0, MethodId.ConnectionTune, tuneArgs(this.context.limits));
      return;
    }
    const { error, failureClose, delayMs } = result;
    // Nothing more is read from this client; the socket stays open until the refusal goes out.
    this.releaseResources();
    this.state = State.Closed;
    const refuse = (): void => {
      if (this.socket.destroyed) return;
      // Only clients that announce authentication_failure_close are told why; others see the socket close.
      if (failureClose) this.sendClose(error);
      this.endSocket();
    };
    if (delayMs === 0) refuse();
    else this.clock.setTimeout(refuse, delayMs).unref?.();
  }

  private tuneOk(args: ConnectionTuneOkArgs): void {
    const tuned = negotiate(args, this.context.limits);
    this.channelMax = tuned.channelMax;
    this.reader.maxFrameSize = tuned.frameMax;
    this.writer.frameMax = tuned.frameMax;
    this.heartbeat = tuned.heartbeat;
    this.state = State.AwaitingOpen;
  }

  private open(args: ConnectionOpenArgs): void {
    const userName = this.user?.name ?? '';
    const vhost = openVhost(this.context, args, userName, this.logger);
    this.currentVhost = vhost;
    const permissions = new ConnectionPermissions(this.context.access, userName, vhost.name, this.clientProperties);
    const audit = this.context.audit === undefined ? {} : { audit: { sink: this.context.audit, peer: this.socket.remoteAddress ?? '' } };
    this.channelDeps = { session: this, permissions, flow: this.flow, writer: this.writer, lifecycle: this, clock: this.clock, ...audit };
    this.state = State.Open;
    this.clearTimer();
    this.context.connectionOpened?.(this);
    this.heartbeats.start(this.heartbeat);
    this.writer.method(0, MethodId.ConnectionOpenOk, { knownHosts: '' });
    this.logger.info({ user: this.user?.name, vhost: vhost.name }, 'connection opened');
  }

  /** What the management API shows of this connection. */
  get managementInfo(): ConnectionInfo {
    return connectionInfo(this, this.socket, this.state);
  }

  // ---- timeouts ----------------------------------------------------------------------------------

  /** Arms the connection's one lifecycle timer (replacing any, heartbeats stopped). */
  private setTimer(callback: () => void, ms: number, unref = true): void {
    this.clearTimer();
    this.timer = this.clock.setTimeout(callback, ms);
    if (unref) this.timer.unref?.();
  }

  /** Stops the lifecycle timer and the heartbeats. */
  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.heartbeats.stop();
  }

  /** Drops the socket at once, with a warning saying why. */
  private abort(reason: string): void {
    this.logger.warn(reason);
    this.socket.destroy();
  }

  // ---- errors and closing ------------------------------------------------------------------------

  /** The one place errors become channel.close or connection.close. */
  fail(err: unknown, channelId: number, methodId: number): void {
    const error = toAmqpError(err, this.logger);
    if (error.classId === 0 && methodId !== 0 && error.blame) {
      error.classId = methodId >>> 16;
      error.methodId = methodId & 0xffff;
    }
    const channel = channelId === 0 ? undefined : this.channels.get(channelId);
    if (!error.isHard && channel !== undefined && this.state === State.Open) {
      this.logger.info({ channel: channelId, code: error.replyCode, text: error.replyText }, 'channel error');
      channel.release();
      this.writer.method(channelId, MethodId.ChannelClose, closeArgs(error));
      return;
    }
    this.closeWithError(error, err instanceof FrameError);
  }

  /** Sends connection.close and waits (bounded) for close-ok. `broken` framing stops reading at once. */
  closeWithError(error: AmqpError, broken = false): void {
    if (this.state === State.CloseOkSent) {
      // Garbage after our close-ok: nothing more is owed to this client.
      this.endSocket();
      return;
    }
    if (this.state === State.Closing || this.state === State.Closed) return;
    const level = error.replyCode === ReplyCode.ConnectionForced ? 'info' : 'warn';
    this.logger[level]({ code: error.replyCode, text: error.replyText }, 'closing connection');
    this.releaseResources();
    // Before tune-ok completes RabbitMQ answers failures by closing the socket, without connection.close.
    if (this.state === State.AwaitingHeader || this.state === State.AwaitingStartOk || this.state === State.AwaitingTuneOk) {
      this.endSocket();
      return;
    }
    this.sendClose(error);
    if (broken) {
      this.endSocket();
      return;
    }
    this.state = State.Closing;
    this.flow.closing();
    this.setTimer(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS);
  }

  private sendClose(error: AmqpError): void {
    this.writer.method(0, MethodId.ConnectionClose, closeArgs(error));
  }

  /** Broker shutdown or an administrator closing the connection. */
  forceClose(reason: string): void {
    this.closeWithError(
      new AmqpError(ReplyCode.ConnectionForced, `broker forced connection closure with reason '${reason}'`),
    );
  }

  /** A user was deleted: its connections are closed, as RabbitMQ does (320 "user 'u' is deleted"). */
  userDeleted(name: string): void {
    if (this.user?.name !== name) return;
    this.closeWithError(new AmqpError(ReplyCode.ConnectionForced, `user '${name}' is deleted`));
  }

  /** The connection's vhost is being deleted. */
  vhostDeleted(name: string): void {
    if (this.currentVhost?.name !== name) return;
    this.closeWithError(new AmqpError(ReplyCode.ConnectionForced, `vhost '${name}' is deleted`));
  }

  /**
   * After our close-ok the client closes the socket, as RabbitMQ expects: we keep reading (a second connection.close
   * gets its close-ok) and end it ourselves only after the client's heartbeat interval, or 30 s without one.
   */
  private leaveSocketToClient(): void {
    this.state = State.CloseOkSent;
    const seconds = this.heartbeat > 0 && this.heartbeat < CLOSED_SOCKET_TIMEOUT_S ? this.heartbeat : CLOSED_SOCKET_TIMEOUT_S;
    this.setTimer(() => this.guarded(() => this.endSocket()), seconds * 1000);
  }

  private endSocket(): void {
    this.state = State.Closed;
    this.writer.close();
    this.socket.end();
    this.setTimer(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS);
  }

  private onDrain(): void {
    this.flow.stopSendWatch();
    if (this.writer.blocked) {
      this.writer.blocked = false;
      for (const channel of this.channels.values()) channel.resumeDeliveries();
    }
    this.flow.drained();
  }

  /** Channels give their unacked deliveries back; exclusive queues go away. Runs once. */
  private releaseResources(): void {
    if (this.released) return;
    this.released = true;
    for (const channel of this.channels.values()) channel.release();
    if (this.context.churn !== undefined) this.context.churn.counts.channel_closed += this.channels.size;
    this.channels.clear();
    this.currentVhost?.ownerGone(this);
  }

  private onSocketClosed(): void {
    try {
      this.socketClosed();
    } catch (err) {
      // Releasing what the connection held failed part way (a bug): logged; the broker goes on.
      this.logger.error({ err }, 'internal error while releasing a closed connection');
    } finally {
      this.context.connectionClosed(this);
    }
  }

  private socketClosed(): void {
    this.flow.stop();
    if (this.state !== State.Closed) {
      // Probes (health checks, port scans) that never finish the handshake are not worth an info line.
      const level = this.user === undefined ? 'debug' : 'info';
      this.logger[level]('connection closed: socket closed by peer');
    }
    this.state = State.Closed;
    this.writer.close();
    this.clearTimer();
    this.releaseResources();
  }
}
