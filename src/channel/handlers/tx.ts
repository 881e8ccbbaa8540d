import { AmqpError } from '../../protocol/amqp-error';
import { MethodId, ReplyCode } from '../../protocol/generated/amqp';
import type { Channel } from '../channel';
import type { Handler, HandlerTable } from '../dispatch';

function requireTx(channel: Channel): void {
  if (channel.tx === undefined) throw new AmqpError(ReplyCode.PreconditionFailed, 'channel is not transactional');
}

const select: Handler<Record<string, never>> = (channel) => {
  if (channel.confirm !== undefined) {
    throw new AmqpError(ReplyCode.PreconditionFailed, 'cannot switch from confirm to tx mode');
  }
  channel.tx ??= { publishes: [], acks: [] };
  channel.send(MethodId.TxSelectOk, {});
};

const commit: Handler<Record<string, never>> = (channel) => {
  requireTx(channel);
  channel.commit(); // tx.commit-ok follows when the store has made the transaction durable

};

const rollback: Handler<Record<string, never>> = (channel) => {
  requireTx(channel);
  channel.rollback();
  channel.send(MethodId.TxRollbackOk, {});
};

export const txHandlers: HandlerTable = [
  [MethodId.TxSelect, select as Handler<never>],
  [MethodId.TxCommit, commit as Handler<never>],
  [MethodId.TxRollback, rollback as Handler<never>],
];
