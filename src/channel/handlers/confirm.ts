import { AmqpError } from '../../protocol/amqp-error';
import { MethodId, ReplyCode, type ConfirmSelectArgs } from '../../protocol/generated/amqp';
import { ConfirmTracker } from '../confirms';
import type { Handler, HandlerTable } from '../dispatch';

const select: Handler<ConfirmSelectArgs> = (channel, args) => {
  if (channel.tx !== undefined) {
    throw new AmqpError(ReplyCode.PreconditionFailed, 'cannot switch from tx to confirm mode');
  }
  channel.confirm ??= new ConfirmTracker();
  if (!args.noWait) channel.send(MethodId.ConfirmSelectOk, {});
};

export const confirmHandlers: HandlerTable = [[MethodId.ConfirmSelect, select as Handler<never>]];
