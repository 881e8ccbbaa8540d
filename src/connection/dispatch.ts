import type { Logger } from 'pino';
import { Channel } from '../channel/channel';
import type { ChannelDeps, ChannelWriter } from '../channel/ports';
import { AmqpError } from '../protocol/amqp-error';
import { FrameError, FrameSyntaxError, MalformedShortstrError, UnknownMethodError } from '../protocol/errors';
import { tableDeeperThan } from '../protocol/field-table-check';
import { MAX_NESTING, type FieldTable } from '../protocol/field-value';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  MethodId,
  ReplyCode,
  decodeMethodArgs,
  methodInfo,
} from '../protocol/generated/amqp';
import type { ConnectionContext } from './context';

const CHANNEL_OPEN_CLASS = MethodId.ChannelOpen >>> 16;
const CHANNEL_OPEN_METHOD = MethodId.ChannelOpen & 0xffff;

/** What frame dispatch needs from its connection. */
export interface DispatchHost {
  /** connection.open succeeded and the connection is not closing. */
  readonly isOpen: boolean;
  /** The connection's close handshake runs: frames on channels are discarded. */
  readonly isClosing: boolean;
  readonly writer: ChannelWriter;
  readonly channelMax: number;
  readonly userName: string;
  /** What each new channel is built with (the same for all channels of the connection). */
  readonly channelDeps: ChannelDeps;
  /** Resource alarms (flow.ts): a publish during one blocks the connection. */
  readonly flow: { readonly alarmReason: string | undefined; publishReceived(): void };
  /** The one place errors become channel.close or connection.close. */
  fail(err: unknown, channelId: number, methodId: number): void;
  /** A method on channel 0, its frame payload (method id first) being `payload`. */
  connectionMethod(id: number, payload: Buffer): void;
}

/**
 * Frame dispatch and the channel table: methods on channel 0 to the connection; on other channels, channel.open and
 * the close handshake of a closing channel here, everything else to the channel, which assembles its own content.
 */
export class ChannelTable {
  /** fieldTableMaxDepth: below the codec's own bound, method arguments are checked after decoding. */
  private readonly tableDepth: number;

  constructor(
    private readonly host: DispatchHost,
    private readonly context: ConnectionContext,
    readonly channels: Map<number, Channel>,
  ) {
    this.tableDepth = context.limits.fieldTableMaxDepth ?? MAX_NESTING;
  }

  /** One frame, its payload being buf[start, end) (a view of the socket's chunk: valid during the call only). */
  frame(type: number, channelId: number, buf: Buffer, start: number, end: number): void {
    if (type === FRAME_METHOD) {
      if (end - start < 4) throw new AmqpError(ReplyCode.FrameError, 'method frame too short');
      const id = buf.readUInt32BE(start);
      const info = methodInfo(id);
      if (info === undefined) throw new UnknownMethodError(id >>> 16, id & 0xffff);
      if (channelId === 0) {
        this.host.connectionMethod(id, buf.subarray(start, end));
        return;
      }
      if (!this.host.isOpen) {
        if (this.host.isClosing) return;
        throw new AmqpError(ReplyCode.ChannelError, `unexpected frame on channel ${channelId} before connection.open`);
      }
      this.method(channelId, id, info.hasContent, buf, start + 4, end);
    } else if (type === FRAME_HEARTBEAT) {
      // A heartbeat has no payload: RabbitMQ does not recognise one that has (501, "unknown_frame"), on any channel.
      if (end !== start) throw new AmqpError(ReplyCode.FrameError, `heartbeat frame with a payload of ${end - start} bytes`);
      if (channelId !== 0) throw new AmqpError(ReplyCode.UnexpectedFrame, `heartbeat frame on channel ${channelId}`);
    } else if (type === FRAME_HEADER || type === FRAME_BODY) {
      if (channelId === 0) throw new AmqpError(ReplyCode.UnexpectedFrame, 'content frame on channel 0');
      if (!this.host.isOpen) {
        if (this.host.isClosing) return;
        throw new AmqpError(ReplyCode.UnexpectedFrame, 'content frame before connection.open');
      }
      this.content(type, channelId, buf, start, end);
    }
  }

  /** A method frame on channel `channelId`: method `id`, its arguments at buf[start, end). */
  method(channelId: number, id: number, hasContent: boolean, buf: Buffer, start: number, end: number): void {
    const channel = this.channels.get(channelId);
    if (id === MethodId.ChannelOpen) {
      this.open(channelId, channel);
      return;
    }
    if (channel === undefined) throw new AmqpError(ReplyCode.ChannelError, "expected 'channel.open'", id >>> 16, id & 0xffff);
    if (channel.closing) {
      // Only the close handshake matters on a closing channel; everything else is discarded.
      if (id === MethodId.ChannelCloseOk) this.drop(channelId);
      else if (id === MethodId.ChannelClose) this.host.writer.method(channelId, MethodId.ChannelCloseOk, {});
      return;
    }
    try {
      const args = decodeArgs(id, buf, start, end);
      if (this.tableDepth < MAX_NESTING) checkArgumentsDepth(id, args, this.tableDepth);
      channel.method(id, args, hasContent);
    } catch (err) {
      this.host.fail(err, channelId, id);
    }
    // RabbitMQ blocks a connection on its first publish during an alarm: that method is handled, then reading stops.
    if (hasContent) {
      const flow = this.host.flow;
      if (flow.alarmReason !== undefined) flow.publishReceived();
    }
  }

  /** A content header or body frame, its payload buf[start, end). */
  content(type: number, channelId: number, buf: Buffer, start: number, end: number): void {
    const channel = this.channels.get(channelId);
    if (channel === undefined) throw new AmqpError(ReplyCode.ChannelError, "expected 'channel.open'");
    if (channel.closing) return;
    // Content with no method before it is blamed on no method (0, 0); otherwise on the pending basic.publish.
    const blamed = channel.awaitingContent ? MethodId.BasicPublish : 0;
    try {
      channel.content(type, buf, start, end);
    } catch (err) {
      this.host.fail(err, channelId, blamed);
    }
  }

  /** Forgets a closed channel. */
  drop(channelId: number): void {
    if (this.channels.delete(channelId) && this.context.churn !== undefined) this.context.churn.counts.channel_closed++;
  }

  private open(channelId: number, existing: Channel | undefined): void {
    if (existing !== undefined) {
      throw new AmqpError(ReplyCode.ChannelError, "second 'channel.open' seen", CHANNEL_OPEN_CLASS, CHANNEL_OPEN_METHOD);
    }
    const { channelMax, userName } = this.host;
    if (channelId > channelMax) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `channel number ${channelId} exceeds the negotiated channel_max (${channelMax})`,
        CHANNEL_OPEN_CLASS,
        CHANNEL_OPEN_METHOD,
      );
    }
    const maxChannels = this.context.access.getUserLimits(userName)['max-channels'];
    if (maxChannels !== undefined && maxChannels >= 0 && this.context.channelCount(userName) >= maxChannels) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `number of channels opened for user '${userName}' has reached the maximum allowed user limit of (${maxChannels})`,
        CHANNEL_OPEN_CLASS,
        CHANNEL_OPEN_METHOD,
      );
    }
    const perNode = this.context.limits.channelMaxPerNode;
    if (perNode !== undefined && (this.context.totalChannelCount?.() ?? 0) >= perNode) {
      throw new AmqpError(
        ReplyCode.NotAllowed,
        `number of channels opened for node '${this.context.nodeName ?? ''}' has reached the maximum allowed limit of (${perNode})`,
        CHANNEL_OPEN_CLASS,
        CHANNEL_OPEN_METHOD,
      );
    }
    this.channels.set(channelId, new Channel(channelId, this.host.channelDeps));
    if (this.context.churn !== undefined) this.context.churn.counts.channel_created++;
    this.host.writer.method(channelId, MethodId.ChannelOpenOk, { channelId: Buffer.alloc(0) });
  }
}

/** Decodes method arguments; malformed arguments are a FRAME_ERROR blamed on the method, as in RabbitMQ. */
export function decodeArgs(id: number, buf: Buffer, start: number, end: number): object {
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

/**
 * The `arguments` table of a declare, bind or consume nested deeper than the configured bound: refused as the codec
 * refuses one deeper than its own (501, blamed on the method).
 */
function checkArgumentsDepth(id: number, args: object, maxDepth: number): void {
  const table = (args as { arguments?: FieldTable }).arguments;
  if (table !== undefined && tableDeeperThan(table, maxDepth)) {
    throw new AmqpError(
      ReplyCode.FrameError,
      `cannot decode method arguments: field table: nested deeper than ${maxDepth}`,
      id >>> 16,
      id & 0xffff,
    );
  }
}

/** Whatever a frame handler threw, as the AmqpError to answer with (541 for a bug, logged with its stack). */
export function toAmqpError(err: unknown, logger: Logger): AmqpError {
  if (err instanceof AmqpError) return err;
  if (err instanceof FrameError) return new AmqpError(err.replyCode, err.message);
  if (err instanceof FrameSyntaxError) return new AmqpError(ReplyCode.SyntaxError, err.message);
  if (err instanceof UnknownMethodError) {
    return new AmqpError(ReplyCode.NotImplemented, 'unknown method', err.classId, err.methodId);
  }
  logger.error({ err }, 'internal error while handling a frame');
  return new AmqpError(ReplyCode.InternalError, 'internal error');
}

/** The fields of the channel.close or connection.close that reports `error`. */
export function closeArgs(error: AmqpError): { replyCode: number; replyText: string; classId: number; methodId: number } {
  return { replyCode: error.replyCode, replyText: error.replyText, classId: error.classId, methodId: error.methodId };
}
