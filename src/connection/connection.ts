import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { parseSaslResponse, SASL_MECHANISMS } from '../auth/sasl';
import { logLoginRefused } from '../auth/login-throttle';
import type { PermissionKind, ResourceKind } from '../auth/access';
import type { MessageStats } from '../observability/stats';
import type { User } from '../auth/users';
import type { ChannelInfo, ConnectionInfo } from './info';
import { Channel, type ChannelHost } from '../channel/channel';
import { dispatchTable } from '../channel/dispatch';
import { ContentBudget } from '../channel/command-assembler';
import { AmqpError } from '../protocol/amqp-error';
import { FrameError, FrameSyntaxError, MalformedShortstrError, UnknownMethodError } from '../protocol/errors';
import type { FieldTable } from '../protocol/field-table';
import { FrameReader } from '../protocol/frame-reader';
import { HEARTBEAT_FRAME, PROTOCOL_HEADER } from '../protocol/frames';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  MethodId,
  ReplyCode,
  decodeMethodArgs,
  methodInfo,
  type BasicPublishArgs,
  type ConnectionOpenArgs,
  type ConnectionStartOkArgs,
  type ConnectionTuneOkArgs,
} from '../protocol/generated/amqp';
import type { FlowListener, Queue } from '../queue/queue';
import type { VirtualHost } from '../vhost/vhost';
import type { ConnectionContext } from './context';
import { FrameWriter, WRITE_BUFFER_LIMIT } from './writer';

/**
 * The byte stream a connection runs over: a net.Socket in production, any Duplex (an in-memory pair)
 * in unit tests.
 */
export type Transport = Duplex & {
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** net.Socket's byte counts (recv_oct / send_oct); absent on in-memory pairs. */
  readonly bytesRead?: number;
  readonly bytesWritten?: number;
  setNoDelay?(noDelay: boolean): unknown;
};

/** RabbitMQ's names for a connection's states, as the management API shows them. */
const STATE_NAMES = ['starting', 'starting', 'tuning', 'opening', 'running', 'closing', 'closed', 'closed'] as const;

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

/** Time allowed from accept to connection.open, as RabbitMQ's handshake_timeout. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Longest a congested queue pauses a publishing connection before one more read is let through. */
const THROTTLE_MAX_MS = 250;
/** Exchanges whose write permission a connection remembers. */
const PUBLISH_CACHE_SIZE = 64;
/** Time we wait for connection.close-ok after sending connection.close. */
const CLOSE_OK_TIMEOUT_MS = 3_000;
/** Longest we leave the socket to a client after our close-ok (RabbitMQ's CLOSING_TIMEOUT), or its heartbeat if shorter. */
const CLOSED_SOCKET_TIMEOUT_S = 30;
/** RabbitMQ's send_timeout: output over the limit with no byte taken by the peer for this long closes the socket. */
const SEND_TIMEOUT_MS = 15_000;

let nextConnectionId = 1;

/**
 * One client connection: handshake, tune, heartbeats, the channel table and the one place where
 * errors become channel.close (soft) or connection.close (hard).
 */
export class Connection implements ChannelHost, FlowListener {
  readonly id = nextConnectionId++;
  /** RabbitMQ's connection name: "peer:port -> local:port". */
  readonly name: string;
  readonly connectedAt = Date.now();
  authMechanism = '';
  readonly logger: Logger;
  readonly owner: object = this;
  readonly channels = new Map<number, Channel>();
  /** Bytes of partly received bodies across this connection's channels (channel/command-assembler.ts). */
  readonly contentBudget = new ContentBudget();
  user: User | undefined;
  clientProperties: FieldTable = {};
  consumerCancelNotify = false;
  channelMax: number;
  heartbeat = 0;

  private state = State.AwaitingHeader;
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private currentVhost: VirtualHost | undefined;
  private timer: NodeJS.Timeout | undefined;
  private receivedSinceTick = false;
  private missedTicks = 0;
  /** False until the first heartbeat tick, which sends one whatever was written before it (as RabbitMQ's sender). */
  private heartbeatStarted = false;
  private released = false;
  private readonly publishAllowed = new Set<string>();
  private lastPublishExchange: string | undefined;
  /** AccessControl.generation when publishAllowed was last valid. */
  private permissionGeneration = 0;
  /** Congested queues this connection's reading is paused for. */
  private readonly throttledBy = new Set<Queue>();
  private throttleTimer: NodeJS.Timeout | undefined;
  private readonly resumeAfterTimeout = (): void => this.guarded(() => this.resumeReading());
  /**
   * True while output is over WRITE_BUFFER_LIMIT: no more frames are handled (the rest stay buffered in the reader)
   * and the socket is not read, so a client that does not read cannot make its requests (basic.get, publishes that
   * come back as basic.return, ...) pile replies up in the broker. Released on 'drain'.
   */
  private inputHeld = false;
  private sendTimer: NodeJS.Timeout | undefined;
  /** The socket's queued bytes when the send watch started: fewer at its end is progress. */
  private sendMark = 0;
  private readonly checkHeldInput = (): void =>
    this.guarded(() => {
      if (this.inputHeld && this.writer.queuedBytes <= WRITE_BUFFER_LIMIT) this.releaseInput();
      else if (this.inputHeld) this.watchSend();
    });
  private readonly checkSendProgress = (): void => this.guarded(() => this.sendProgressDue());

  constructor(
    private readonly socket: Transport,
    private readonly context: ConnectionContext,
  ) {
    const { limits } = context;
    this.channelMax = limits.channelMax;
    this.reader = new FrameReader(limits.frameMax);
    this.writer = new FrameWriter(socket, limits.frameMax);
    this.writer.onBlocked = () => this.watchSend();
    this.name = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} -> ${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
    this.logger = context.logger.child({ connection: this.id, client: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.guarded(() => this.onDrain()));
    socket.on('error', (err: NodeJS.ErrnoException) => this.logger.debug({ err: err.code ?? err.message }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
    this.timer = setTimeout(() => this.guarded(() => this.handshakeTimedOut()), HANDSHAKE_TIMEOUT_MS);
    this.logger.debug('connection accepted');
  }

  // ---- ChannelHost -------------------------------------------------------------------------------

  get vhost(): VirtualHost {
    return this.currentVhost as VirtualHost;
  }

  get brokerStats(): MessageStats {
    return this.context.stats;
  }

  get userName(): string {
    return this.user?.name ?? '';
  }

  /** Throws 403 ACCESS_REFUSED unless the connection's user has `kind` permission on the resource. */
  check(kind: PermissionKind, resource: ResourceKind, name: string): void {
    this.context.access.check(this.userName, this.vhost.name, kind, resource, name);
  }

  /**
   * Flow control, like RabbitMQ's credit flow for publishers: reading stops while a queue this connection publishes
   * into is congested. A connection that also consumes is never paused (its acks must flow, or the queue could never
   * drain), and a pause lasts at most THROTTLE_MAX_MS before one more read is allowed.
   */
  throttle(queue: Queue): void {
    if (this.throttledBy.has(queue) || this.state !== State.Open) return;
    for (const channel of this.channels.values()) if (channel.consumers.size > 0) return;
    this.throttledBy.add(queue);
    queue.waitForRelief(this);
    if (this.throttleTimer !== undefined) return;
    this.throttleTimer = setTimeout(this.resumeAfterTimeout, THROTTLE_MAX_MS);
    this.updateReading();
  }

  queueRelieved(queue: Queue): void {
    this.throttledBy.delete(queue);
    if (this.throttledBy.size === 0) this.resumeReading();
  }

  private resumeReading(): void {
    this.throttledBy.clear();
    if (this.throttleTimer === undefined) return;
    clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
    this.updateReading();
  }

  /** The socket is read unless a congested queue throttles this publisher or its output is over the limit. */
  private updateReading(): void {
    if (this.state === State.Closed) return;
    if (this.inputHeld || this.throttleTimer !== undefined) this.socket.pause();
    else this.socket.resume();
  }

  /** Output went over the limit while frames were handled: stop handling them until it drains. */
  private holdInput(): void {
    this.inputHeld = true;
    this.updateReading();
    // What this turn wrote reaches the socket at the end of the turn; if the socket takes it all there is no 'drain'.
    setImmediate(this.checkHeldInput);
  }

  private releaseInput(): void {
    this.inputHeld = false;
    this.updateReading();
    this.readFrames();
  }

  /** Output is over the limit: the peer must take some of it within SEND_TIMEOUT_MS. */
  private watchSend(): void {
    if (this.sendTimer !== undefined) return;
    this.sendMark = this.socket.writableLength;
    this.sendTimer = setTimeout(this.checkSendProgress, this.context.limits.sendTimeoutMs ?? SEND_TIMEOUT_MS);
    this.sendTimer.unref();
  }

  private sendProgressDue(): void {
    this.sendTimer = undefined;
    if (this.state === State.Closed || (!this.writer.blocked && !this.inputHeld)) return;
    const queued = this.socket.writableLength;
    if (queued < this.sendMark) {
      this.watchSend();
      return;
    }
    this.logger.warn(
      { queuedBytes: queued, sendTimeoutMs: this.context.limits.sendTimeoutMs ?? SEND_TIMEOUT_MS },
      'closing connection: the client has not read its socket',
    );
    this.socket.destroy();
  }

  /** Topic authorisation on a topic exchange's routing key (publish: write, bind: read). */
  checkTopic(exchange: string, kind: 'write' | 'read', routingKey: string): void {
    if (!this.context.access.hasTopicPermissions) return;
    const clientId = this.clientProperties['connection_name'];
    this.context.access.checkTopic(this.userName, this.vhost.name, exchange, kind, routingKey, typeof clientId === 'string' ? clientId : '');
  }

  /** basic.publish's write check, cached per exchange name for the connection's life (RabbitMQ caches too). */
  checkPublish(exchange: string): void {
    const generation = this.context.access.generation;
    if (generation !== this.permissionGeneration) {
      // Permissions changed somewhere: forget what was granted (RabbitMQ applies changes to open channels too).
      this.permissionGeneration = generation;
      this.publishAllowed.clear();
      this.lastPublishExchange = undefined;
    }
    // Publishers mostly use one exchange: comparing with the last one spares hashing a freshly decoded name.
    if (exchange === this.lastPublishExchange || this.publishAllowed.has(exchange)) {
      this.lastPublishExchange = exchange;
      return;
    }
    this.check('write', 'exchange', exchange);
    if (this.publishAllowed.size >= PUBLISH_CACHE_SIZE) this.publishAllowed.clear();
    this.publishAllowed.add(exchange);
  }

  get frameMax(): number {
    return this.writer.frameMax;
  }

  get consumerTimeout(): number {
    return this.context.limits.consumerTimeout ?? 0;
  }

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

  /** Runs `work` (a socket event, a timer) so that what it throws closes this connection instead of the process. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.internalError(err);
    }
  }

  get writeBlocked(): boolean {
    return this.writer.blocked;
  }

  sendMethod(channel: number, id: number, args: object): void {
    this.writer.method(channel, id, args);
  }

  sendContent(channel: number, properties: Buffer, body: Buffer): void {
    this.writer.content(channel, properties, body);
  }

  sendDelivery(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    properties: Buffer,
    body: Buffer,
  ): void {
    this.writer.deliver(channel, consumerTag, deliveryTag, redelivered, exchange, routingKey, properties, body);
  }

  // ---- reading -----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    try {
      this.receivedSinceTick = true;
      this.reader.push(chunk);
      this.readFrames();
    } catch (err) {
      // fail() itself, or a confirm flush, threw: a bug, contained to this connection.
      this.internalError(err);
    }
  }

  /** Handles the frames received so far, stopping (the rest stay buffered) once output is over its limit. */
  private readFrames(): void {
    const reader = this.reader;
    try {
      if (this.state === State.AwaitingHeader && !this.readProtocolHeader()) return;
      while ((this.state as State) !== State.Closed && !this.inputHeld && reader.next()) {
        this.handleFrame(reader.frameType, reader.channel, reader.buffer, reader.start, reader.end);
        if (this.writer.queuedBytes > WRITE_BUFFER_LIMIT) this.holdInput();
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
    this.writer.method(0, MethodId.ConnectionStart, {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: this.context.serverProperties,
      mechanisms: Buffer.from(SASL_MECHANISMS.join(' ')),
      locales: Buffer.from('en_US'),
    });
    return true;
  }

  /** One frame, its payload being buf[start, end) (a view of the socket's chunk: valid during the call only). */
  private handleFrame(type: number, channelId: number, buf: Buffer, start: number, end: number): void {
    if (type === FRAME_METHOD) {
      this.handleMethodFrame(channelId, buf, start, end);
    } else if (type === FRAME_HEARTBEAT) {
      if (channelId !== 0) throw new AmqpError(ReplyCode.UnexpectedFrame, `heartbeat frame on channel ${channelId}`);
    } else if (type === FRAME_HEADER || type === FRAME_BODY) {
      this.handleContentFrame(type, channelId, buf, start, end);
    }
  }

  private handleMethodFrame(channelId: number, buf: Buffer, start: number, end: number): void {
    if (end - start < 4) throw new AmqpError(ReplyCode.FrameError, 'method frame too short');
    const id = buf.readUInt32BE(start);
    const info = methodInfo(id);
    if (info === undefined) throw new UnknownMethodError(id >>> 16, id & 0xffff);
    if (channelId === 0) {
      this.handleConnectionMethod(id, buf.subarray(start, end));
      return;
    }
    if (this.state !== State.Open) {
      if (this.state === State.Closing || this.state === State.CloseOkSent) return;
      throw new AmqpError(ReplyCode.ChannelError, `unexpected frame on channel ${channelId} before connection.open`);
    }
    const channel = this.channels.get(channelId);
    if (id === MethodId.ChannelOpen) {
      this.openChannel(channelId, channel);
      return;
    }
    if (channel === undefined) throw new AmqpError(ReplyCode.ChannelError, "expected 'channel.open'", id >>> 16, id & 0xffff);
    if (channel.closing) {
      // Only the close handshake matters on a closing channel; everything else is discarded.
      if (id === MethodId.ChannelCloseOk) this.dropChannel(channelId);
      else if (id === MethodId.ChannelClose) this.writer.method(channelId, MethodId.ChannelCloseOk, {});
      return;
    }
    try {
      const args = decodeArgs(id, buf, start + 4, end);
      channel.assembler.onMethod(args as BasicPublishArgs, info.hasContent);
      if (info.hasContent) return;
      if (id === MethodId.ChannelClose) {
        channel.closeByClient(() => {
          this.dropChannel(channelId);
          this.writer.method(channelId, MethodId.ChannelCloseOk, {});
        });
        return;
      }
      const handler = dispatchTable.get(id);
      if (handler === undefined) throw new AmqpError(ReplyCode.CommandInvalid, 'unimplemented method');
      handler(channel, args as never);
    } catch (err) {
      this.fail(err, channelId, id);
    }
  }

  private handleContentFrame(type: number, channelId: number, buf: Buffer, start: number, end: number): void {
    if (channelId === 0) throw new AmqpError(ReplyCode.UnexpectedFrame, 'content frame on channel 0');
    if (this.state !== State.Open) {
      if (this.state === State.Closing || this.state === State.CloseOkSent) return;
      throw new AmqpError(ReplyCode.UnexpectedFrame, 'content frame before connection.open');
    }
    const channel = this.channels.get(channelId);
    if (channel === undefined) throw new AmqpError(ReplyCode.ChannelError, "expected 'channel.open'");
    if (channel.closing) return;
    const assembler = channel.assembler;
    // Content with no method before it is blamed on no method (0, 0); otherwise on the pending basic.publish.
    const blamed = assembler.idle ? 0 : MethodId.BasicPublish;
    try {
      const complete = type === FRAME_HEADER ? assembler.onHeader(buf, start, end) : assembler.onBody(buf, start, end);
      if (complete) {
        channel.publish(
          assembler.completedMethod as BasicPublishArgs,
          assembler.completedProperties,
          assembler.completedBody,
        );
      }
    } catch (err) {
      this.fail(err, channelId, blamed);
    }
  }

  private openChannel(channelId: number, existing: Channel | undefined): void {
    if (existing !== undefined) {
      throw new AmqpError(ReplyCode.ChannelError, "second 'channel.open' seen", 20, 10);
    }
    if (channelId > this.channelMax) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `channel number ${channelId} exceeds the negotiated channel_max (${this.channelMax})`,
        20,
        10,
      );
    }
    const maxChannels = this.context.access.getUserLimits(this.userName)['max-channels'];
    if (maxChannels !== undefined && maxChannels >= 0 && this.context.channelCount(this.userName) >= maxChannels) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `number of channels opened for user '${this.userName}' has reached the maximum allowed user limit of (${maxChannels})`,
        20,
        10,
      );
    }
    this.channels.set(channelId, new Channel(channelId, this));
    if (this.context.churn !== undefined) this.context.churn.counts.channel_created++;
    this.writer.method(channelId, MethodId.ChannelOpenOk, { channelId: Buffer.alloc(0) });
  }

  // ---- connection class --------------------------------------------------------------------------

  private handleConnectionMethod(id: number, payload: Buffer): void {
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
        throw new AmqpError(
          ReplyCode.ChannelError,
          'unexpected method in connection state running',
          id >>> 16,
          id & 0xffff,
        );
    }
  }

  private startOk(args: ConnectionStartOkArgs): void {
    this.clientProperties = args.clientProperties;
    this.authMechanism = args.mechanism;
    this.consumerCancelNotify = capability(args.clientProperties, 'consumer_cancel_notify');
    const credentials = parseSaslResponse(args.mechanism, args.response);
    if (credentials === undefined) {
      throw new AmqpError(ReplyCode.AccessRefused, `unsupported authentication mechanism '${args.mechanism}'`);
    }
    const users = this.context.access.users;
    const peer = this.socket.remoteAddress;
    const user = credentials === null ? undefined : users.authenticate(credentials.username, credentials.password);
    if (user !== undefined && users.allowedFrom(user.name, peer)) {
      this.user = user;
      this.state = State.AwaitingTuneOk;
      const { limits } = this.context;
      this.writer.method(0, MethodId.ConnectionTune, {
        channelMax: limits.channelMax,
        frameMax: limits.frameMax,
        heartbeat: limits.heartbeat,
      });
      return;
    }
    // Refused: one log line, then the refusal, held back when this peer failed recently (auth/login-throttle.ts).
    const delayMs = this.context.logins?.failed(peer) ?? 0;
    logLoginRefused(this.logger, {
      protocol: 'amqp',
      mechanism: args.mechanism,
      peer,
      user: credentials?.username,
      reason: user === undefined ? 'invalid credentials' : 'user may connect only via localhost',
      delayMs,
    });
    const error = new AmqpError(
      ReplyCode.AccessRefused,
      `Login was refused using authentication mechanism ${args.mechanism}. For details see the broker logfile.`,
    );
    const failureClose = capability(args.clientProperties, 'authentication_failure_close');
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
    else setTimeout(refuse, delayMs).unref();
  }

  private tuneOk(args: ConnectionTuneOkArgs): void {
    const { limits } = this.context;
    const frameMax = args.frameMax === 0 ? limits.frameMax : args.frameMax;
    if (frameMax < FRAME_MIN_SIZE) {
      throw new AmqpError(ReplyCode.NotAllowed, `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`, 10, 31);
    }
    if (frameMax > limits.frameMax) {
      throw new AmqpError(ReplyCode.NotAllowed, `frame_max=${frameMax} > ${limits.frameMax} max size`, 10, 31);
    }
    const channelMax = args.channelMax === 0 ? limits.channelMax : args.channelMax;
    if (channelMax > limits.channelMax) {
      throw new AmqpError(ReplyCode.NotAllowed, `channel_max=${channelMax} > ${limits.channelMax} max size`, 10, 31);
    }
    this.channelMax = channelMax;
    this.reader.maxFrameSize = frameMax;
    this.writer.frameMax = frameMax;
    this.heartbeat = args.heartbeat;
    this.state = State.AwaitingOpen;
  }

  private open(args: ConnectionOpenArgs): void {
    const vhost = this.context.vhost(args.virtualHost);
    if (vhost === undefined) {
      this.logger.warn({ vhost: args.virtualHost }, 'connection.open refused: no such vhost');
      throw new AmqpError(ReplyCode.NotAllowed, `vhost ${args.virtualHost} not found`, 10, 40);
    }
    const userName = this.user?.name ?? '';
    if (!this.context.access.canAccessVhost(userName, vhost.name)) {
      this.logger.warn({ vhost: vhost.name, user: userName }, 'connection.open refused: no permissions on the vhost');
      throw new AmqpError(ReplyCode.NotAllowed, `access to vhost '${vhost.name}' refused for user '${userName}'`, 10, 40);
    }
    this.checkConnectionLimits(vhost, userName);
    this.currentVhost = vhost;
    this.state = State.Open;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.heartbeat > 0) {
      this.timer = setInterval(() => this.guarded(() => this.heartbeatTick()), (this.heartbeat * 1000) / 2);
      this.timer.unref();
    }
    this.writer.method(0, MethodId.ConnectionOpenOk, { knownHosts: '' });
    this.logger.info({ user: this.user?.name, vhost: vhost.name }, 'connection opened');
  }

  /** RabbitMQ's vhost and user max-connections limits (530 NOT_ALLOWED). */
  private checkConnectionLimits(vhost: VirtualHost, user: string): void {
    const context = this.context;
    const vhostMax = vhost.limits['max-connections'];
    if (vhostMax !== undefined && vhostMax >= 0 && context.connectionCount({ vhost: vhost.name }) >= vhostMax) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `access to vhost '${vhost.name}' refused for user '${user}': connection limit (${vhostMax}) is reached`,
        10,
        40,
      );
    }
    const userMax = context.access.getUserLimits(user)['max-connections'];
    if (userMax !== undefined && userMax >= 0 && context.connectionCount({ user }) >= userMax) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `Connection refused for user '${user}'. User connection limit (${userMax}) is reached`,
        10,
        40,
      );
    }
  }

  /** What the management API shows of this connection. */
  get managementInfo(): ConnectionInfo {
    const socket = this.socket;
    return {
      name: this.name,
      user: this.userName,
      vhost: this.currentVhost?.name ?? '',
      peerHost: socket.remoteAddress ?? '',
      peerPort: socket.remotePort ?? 0,
      host: socket.localAddress ?? '',
      port: socket.localPort ?? 0,
      channelCount: this.channels.size,
      connectedAt: this.connectedAt,
      clientProperties: this.clientProperties,
      frameMax: this.writer.frameMax,
      channelMax: this.channelMax,
      heartbeat: this.heartbeat,
      state: STATE_NAMES[this.state],
      authMechanism: this.authMechanism,
      recvOct: socket.bytesRead ?? 0,
      sendOct: socket.bytesWritten ?? 0,
      close: (reason: string) => this.closeWithError(new AmqpError(ReplyCode.ConnectionForced, reason)),
      channels: () => [...this.channels.values()].map(channelInfo),
    };
  }

  private dropChannel(channelId: number): void {
    if (this.channels.delete(channelId) && this.context.churn !== undefined) this.context.churn.counts.channel_closed++;
  }

  /** True once connection.open succeeded and until the connection closes. */
  get isOpen(): boolean {
    return this.state === State.Open;
  }

  // ---- heartbeats and timeouts -------------------------------------------------------------------

  /** Runs twice per heartbeat interval: sends a heartbeat when idle, closes after two silent intervals. */
  private heartbeatTick(): void {
    // While output is over its limit the socket is not read: the silence is ours, not the client's.
    if (this.receivedSinceTick || this.inputHeld) {
      this.missedTicks = 0;
    } else if (++this.missedTicks >= 4) {
      this.logger.warn({ timeout: this.heartbeat }, 'missed heartbeats from client; closing connection');
      this.socket.destroy();
      return;
    }
    this.receivedSinceTick = false;
    // Open-ok (and a channel.open-ok just after) must not delay the first heartbeat to a whole interval after it:
    // some clients (amqp-client) time out after one silent interval, not two.
    if (!this.writer.wroteSinceTick || !this.heartbeatStarted) this.writer.write(HEARTBEAT_FRAME);
    this.heartbeatStarted = true;
    this.writer.wroteSinceTick = false;
  }

  private handshakeTimedOut(): void {
    this.logger.warn('handshake timeout; closing connection');
    this.socket.destroy();
  }

  // ---- errors and closing ------------------------------------------------------------------------

  /** The one place errors become channel.close or connection.close. */
  private fail(err: unknown, channelId: number, methodId: number): void {
    const error = toAmqpError(err, this.logger);
    if (error.classId === 0 && methodId !== 0 && error.blame) {
      error.classId = methodId >>> 16;
      error.methodId = methodId & 0xffff;
    }
    const channel = channelId === 0 ? undefined : this.channels.get(channelId);
    if (!error.isHard && channel !== undefined && this.state === State.Open) {
      this.logger.info({ channel: channelId, code: error.replyCode, text: error.replyText }, 'channel error');
      channel.release();
      this.writer.method(channelId, MethodId.ChannelClose, {
        replyCode: error.replyCode,
        replyText: error.replyText,
        classId: error.classId,
        methodId: error.methodId,
      });
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
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS);
    this.timer.unref();
  }

  private sendClose(error: AmqpError): void {
    this.writer.method(0, MethodId.ConnectionClose, {
      replyCode: error.replyCode,
      replyText: error.replyText,
      classId: error.classId,
      methodId: error.methodId,
    });
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
    clearTimeout(this.timer);
    clearInterval(this.timer);
    const seconds = this.heartbeat > 0 && this.heartbeat < CLOSED_SOCKET_TIMEOUT_S ? this.heartbeat : CLOSED_SOCKET_TIMEOUT_S;
    this.timer = setTimeout(() => this.guarded(() => this.endSocket()), seconds * 1000);
    this.timer.unref();
  }

  private endSocket(): void {
    this.state = State.Closed;
    this.writer.close();
    this.socket.end();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS);
    this.timer.unref();
  }

  private onDrain(): void {
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    if (this.writer.blocked) {
      this.writer.blocked = false;
      for (const channel of this.channels.values()) channel.resumeDeliveries();
    }
    if (this.inputHeld && this.state !== State.Closed) this.releaseInput();
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
    clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    if (this.state !== State.Closed) {
      // Probes (health checks, port scans) that never finish the handshake are not worth an info line.
      const level = this.user === undefined ? 'debug' : 'info';
      this.logger[level]('connection closed: socket closed by peer');
    }
    this.state = State.Closed;
    this.writer.close();
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    this.releaseResources();
  }
}

/** What the management API shows of one channel. */
function channelInfo(channel: Channel): ChannelInfo {
  return {
    number: channel.id,
    state: channel.closing ? 'closing' : 'running',
    prefetchCount: channel.consumerPrefetch,
    globalPrefetchCount: channel.channelPrefetch,
    confirm: channel.confirm !== undefined,
    transactional: channel.tx !== undefined,
    messagesUnacknowledged: channel.unacked.size,
    messagesUnconfirmed: 0,
    messagesUncommitted: channel.tx?.publishes.length ?? 0,
    acksUncommitted: channel.tx?.acks.length ?? 0,
    stats: channel.stats,
    consumers: [...channel.consumers.values()].map((c) => ({
      tag: c.tag,
      queue: c.queue.name,
      vhost: c.queue.vhost,
      ackRequired: !c.noAck,
      exclusive: c.exclusive,
      priority: c.priority,
      prefetchCount: c.prefetch,
      unacked: c.unacked,
      active: !c.queue.settings.singleActiveConsumer || c.queue.activeConsumer === c,
    })),
  };
}

function capability(clientProperties: FieldTable, name: string): boolean {
  const capabilities = clientProperties['capabilities'];
  if (capabilities === null || typeof capabilities !== 'object' || Array.isArray(capabilities)) return false;
  return (capabilities as FieldTable)[name] === true;
}

/** Decodes method arguments; malformed arguments are a FRAME_ERROR blamed on the method, as in RabbitMQ. */
function decodeArgs(id: number, buf: Buffer, start: number, end: number): object {
  try {
    return decodeMethodArgs(id, buf, start, end);
  } catch (err) {
    if (err instanceof MalformedShortstrError) throw AmqpError.unblamed(ReplyCode.FrameError, err.message);
    if (err instanceof FrameSyntaxError) {
      throw new AmqpError(ReplyCode.FrameError, `cannot decode method arguments: ${err.message}`, id >>> 16, id & 0xffff);
    }
    throw err;
  }
}

function handshakeError(id: number, expected: string): AmqpError {
  return new AmqpError(ReplyCode.CommandInvalid, `expected '${expected}'`, id >>> 16, id & 0xffff);
}

function toAmqpError(err: unknown, logger: Logger): AmqpError {
  if (err instanceof AmqpError) return err;
  if (err instanceof FrameError) return new AmqpError(err.replyCode, err.message);
  if (err instanceof FrameSyntaxError) return new AmqpError(ReplyCode.SyntaxError, err.message);
  if (err instanceof UnknownMethodError) {
    return new AmqpError(ReplyCode.NotImplemented, 'unknown method', err.classId, err.methodId);
  }
  logger.error({ err }, 'internal error while handling a frame');
  return new AmqpError(ReplyCode.InternalError, 'internal error');
}
