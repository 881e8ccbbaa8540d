import { MethodId, type ChannelFlowArgs } from '../../protocol/generated/amqp';
import type { Handler, HandlerTable } from '../dispatch';

/** channel.flow from the client: pause or resume deliveries to this channel. */
const flow: Handler<ChannelFlowArgs> = (channel, args) => {
  channel.flowActive = args.active;
  channel.send(MethodId.ChannelFlowOk, { active: args.active });
  if (args.active) channel.resumeDeliveries();
};

// channel.open, channel.close and channel.close-ok change the channel table and live in the connection.
export const channelHandlers: HandlerTable = [[MethodId.ChannelFlow, flow as Handler<never>]];

