import { AmqpError } from '../../protocol/amqp-error';
import { MethodId, ReplyCode, type ChannelFlowArgs } from '../../protocol/generated/amqp';
import type { Handler, HandlerTable } from '../dispatch';

/**
 * channel.flow from the client. RabbitMQ accepts active=true and refuses active=false with
 * 540 NOT_IMPLEMENTED (a hard error); consumers use prefetch for flow control instead.
 */
const flow: Handler<ChannelFlowArgs> = (channel, args) => {
  if (!args.active) throw new AmqpError(ReplyCode.NotImplemented, 'active=false');
  channel.send(MethodId.ChannelFlowOk, { active: true });
};

// channel.open and a closing channel's close handshake change the channel table (connection/dispatch.ts); the client's
// channel.close is Channel.method's (close-ok after the replies still owed).
export const channelHandlers: HandlerTable = [[MethodId.ChannelFlow, flow as Handler<never>]];

