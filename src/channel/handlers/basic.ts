import { randomBytes } from 'node:crypto';
import { AmqpError } from '../../protocol/amqp-error';
import {
  MethodId,
  ReplyCode,
  type BasicAckArgs,
  type BasicCancelArgs,
  type BasicConsumeArgs,
  type BasicGetArgs,
  type BasicNackArgs,
  type BasicQosArgs,
  type BasicRecoverArgs,
  type BasicRejectArgs,
} from '../../protocol/generated/amqp';
import { ChannelConsumer } from '../consumer';
import type { Channel } from '../channel';
import type { Handler, HandlerTable } from '../dispatch';
import { expandQueueName } from './queue';
import { consumeReplyTo, REPLY_TO } from '../reply-to';
import { fieldTypeName, type FieldValue } from '../../protocol/field-table';

const qos: Handler<BasicQosArgs> = (channel, args) => {
  if (args.prefetchSize !== 0) {
    throw new AmqpError(ReplyCode.NotImplemented, `prefetch_size!=0 (${args.prefetchSize})`);
  }
  if (args.global) {
    channel.channelPrefetch = args.prefetchCount;
  } else {
    channel.consumerPrefetch = args.prefetchCount;
  }
  channel.send(MethodId.BasicQosOk, {});
  channel.resumeDeliveries();
};

const consume: Handler<BasicConsumeArgs> = (channel, args) => {
  const queueName = expandQueueName(channel, args.queue);
  const tag = args.consumerTag === '' ? `amq.ctag-${randomBytes(16).toString('base64url')}` : args.consumerTag;
  if (channel.consumers.has(tag)) {
    throw new AmqpError(ReplyCode.NotAllowed, `attempt to reuse consumer tag '${tag}'`);
  }
  const maxConsumers = channel.session.consumerMaxPerChannel;
  if (maxConsumers !== undefined && channel.consumers.size >= maxConsumers) {
    throw new AmqpError(ReplyCode.NotAllowed, `reached maximum (${maxConsumers}) of consumers per channel`);
  }
  if (queueName === REPLY_TO) {
    consumeReplyTo(channel, args, tag);
    return;
  }
  channel.permissions.check('read', 'queue', queueName);
  const queue = channel.vhost.queueFor(queueName, channel.owner);
  if (queue.hasExclusiveConsumer || (args.exclusive && queue.consumerCount > 0)) {
    throw new AmqpError(ReplyCode.AccessRefused, `queue '${queue.name}' in vhost '${queue.vhost}' in exclusive use`);
  }
  const priority = consumerPriority(args.arguments['x-priority'], queue.name, queue.vhost);
  const consumer = new ChannelConsumer(
    channel,
    queue,
    tag,
    args.noAck,
    args.exclusive,
    priority,
    channel.consumerPrefetch,
  );
  // consume-ok goes out before the first delivery: the queue starts delivering on the next turn.
  if (!args.noWait) channel.send(MethodId.BasicConsumeOk, { consumerTag: tag });
  channel.addConsumer(consumer);
};

function consumerPriority(value: FieldValue | undefined, queue: string, vhost: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  throw new AmqpError(
    ReplyCode.PreconditionFailed,
    `invalid arg 'x-priority' for queue '${queue}' in vhost '${vhost}': "expected integer, got ${fieldTypeName(value)}"`,
  );
}

const cancel: Handler<BasicCancelArgs> = (channel, args) => {
  channel.cancelConsumer(args.consumerTag);
  if (!args.noWait) channel.send(MethodId.BasicCancelOk, { consumerTag: args.consumerTag });
};

const get: Handler<BasicGetArgs> = (channel, args) => {
  const name = expandQueueName(channel, args.queue);
  channel.permissions.check('read', 'queue', name);
  const queue = channel.vhost.queueFor(name, channel.owner);
  const entry = queue.take(args.noAck, (taken) => channel.deliverGet(queue, taken, args.noAck));
  if (entry === undefined) {
    channel.stats.get_empty++;
    channel.brokerStats.get_empty++;
    channel.send(MethodId.BasicGetEmpty, { clusterId: '' });
  }
};

const ack: Handler<BasicAckArgs> = (channel, args) => {
  channel.settle(args.deliveryTag, args.multiple, true, false);
};

const nack: Handler<BasicNackArgs> = (channel, args) => {
  channel.settle(args.deliveryTag, args.multiple, false, args.requeue);
};

const reject: Handler<BasicRejectArgs> = (channel, args) => {
  channel.settle(args.deliveryTag, false, false, args.requeue);
};

function recoverAll(channel: Channel, requeue: boolean): void {
  if (!requeue) throw new AmqpError(ReplyCode.NotImplemented, 'requeue=false');
  channel.requeueAll();
}

const recoverAsync: Handler<BasicRecoverArgs> = (channel, args) => {
  recoverAll(channel, args.requeue);
};

const recover: Handler<BasicRecoverArgs> = (channel, args) => {
  recoverAll(channel, args.requeue);
  channel.send(MethodId.BasicRecoverOk, {});
};

export const basicHandlers: HandlerTable = [
  [MethodId.BasicQos, qos as Handler<never>],
  [MethodId.BasicConsume, consume as Handler<never>],
  [MethodId.BasicCancel, cancel as Handler<never>],
  [MethodId.BasicGet, get as Handler<never>],
  [MethodId.BasicAck, ack as Handler<never>],
  [MethodId.BasicNack, nack as Handler<never>],
  [MethodId.BasicReject, reject as Handler<never>],
  [MethodId.BasicRecoverAsync, recoverAsync as Handler<never>],
  [MethodId.BasicRecover, recover as Handler<never>],
];
