import { AmqpError } from '../../protocol/amqp-error';
import {
  MethodId,
  ReplyCode,
  type QueueBindArgs,
  type QueueDeclareArgs,
  type QueueDeleteArgs,
  type QueuePurgeArgs,
  type QueueUnbindArgs,
} from '../../protocol/generated/amqp';
import { defaultExchangeError, type PermissionCheck } from '../../vhost/vhost';
import { auditedQueueBinding, auditedQueueDeclare, auditedQueueDelete } from '../audit';
import type { Channel } from '../channel';
import type { Handler, HandlerTable } from '../dispatch';
import { REPLY_TO } from '../reply-to';

/**
 * An empty queue name means the channel's most recently declared queue (a RabbitMQ convenience that
 * clients rely on); with none declared it is NOT_FOUND.
 */
export function expandQueueName(channel: Channel, name: string): string {
  if (name !== '') return name;
  if (channel.mostRecentQueue === '') throw new AmqpError(ReplyCode.NotFound, 'no previously declared queue');
  return channel.mostRecentQueue;
}

const declare: Handler<QueueDeclareArgs> = (channel, args) => {
  if (args.queue.startsWith(REPLY_TO)) {
    declareReplyTo(channel, args);
    return;
  }
  const writes = channel.vhost.definitionWrites;
  const check: PermissionCheck | undefined = args.passive ? undefined : (kind, resource, name) => channel.permissions.check(kind, resource, name);
  const queue = channel.vhost.declareQueue(
    {
      name: args.queue,
      passive: args.passive,
      durable: args.durable,
      exclusive: args.exclusive,
      autoDelete: args.autoDelete,
      arguments: args.arguments,
    },
    channel.owner,
    check,
  );
  channel.mostRecentQueue = queue.name;
  if (!args.noWait) {
    channel.replyDefinition(
      MethodId.QueueDeclareOk,
      { queue: queue.name, messageCount: queue.messageCount, consumerCount: queue.consumerCount },
      writes,
    );
  }
};

/** amq.rabbitmq.reply-to and live reply addresses declare as RabbitMQ's do (one consumer, no messages). */
function declareReplyTo(channel: Channel, args: QueueDeclareArgs): void {
  if (args.queue !== REPLY_TO && !channel.vhost.replyQueues.has(args.queue)) {
    throw new AmqpError(ReplyCode.NotFound, `no queue '${args.queue}' in vhost '${channel.vhost.name}'`);
  }
  if (!args.noWait) channel.send(MethodId.QueueDeclareOk, { queue: args.queue, messageCount: 0, consumerCount: 1 });
}

const bind: Handler<QueueBindArgs> = (channel, args) => {
  const queue = expandQueueName(channel, args.queue);
  const routingKey = args.queue === '' && args.routingKey === '' ? queue : args.routingKey;
  checkQueueBinding(channel, queue, args.exchange, routingKey);
  const writes = channel.vhost.definitionWrites;
  channel.vhost.bindQueue(queue, args.exchange, routingKey, args.arguments, channel.owner);
  if (!args.noWait) channel.replyDefinition(MethodId.QueueBindOk, {}, writes);
};

const unbind: Handler<QueueUnbindArgs> = (channel, args) => {
  const queue = expandQueueName(channel, args.queue);
  const routingKey = args.queue === '' && args.routingKey === '' ? queue : args.routingKey;
  checkQueueBinding(channel, queue, args.exchange, routingKey);
  const writes = channel.vhost.definitionWrites;
  channel.vhost.unbindQueue(queue, args.exchange, routingKey, args.arguments, channel.owner);
  channel.replyDefinition(MethodId.QueueUnbindOk, {}, writes);
};

const purge: Handler<QueuePurgeArgs> = (channel, args) => {
  const name = expandQueueName(channel, args.queue);
  channel.permissions.check('read', 'queue', name);
  const queue = channel.vhost.queueFor(name, channel.owner);
  const messageCount = queue.purge();
  if (!args.noWait) channel.send(MethodId.QueuePurgeOk, { messageCount });
};

const remove: Handler<QueueDeleteArgs> = (channel, args) => {
  const name = expandQueueName(channel, args.queue);
  channel.permissions.check('configure', 'queue', name);
  const writes = channel.vhost.definitionWrites;
  channel.deleting(
    () => channel.vhost.deleteQueue(name, args.ifUnused, args.ifEmpty, channel.owner),
    args.noWait ? undefined : (messageCount) => channel.replyDefinition(MethodId.QueueDeleteOk, { messageCount }, writes),
  );
};

/** Binding a queue needs write on the queue and read on the exchange, as in RabbitMQ. */
function checkQueueBinding(channel: Channel, queue: string, exchange: string, routingKey: string): void {
  channel.permissions.check('write', 'queue', queue);
  if (exchange === '') throw defaultExchangeError();
  channel.permissions.check('read', 'exchange', exchange);
  if (channel.vhost.exchanges.get(exchange)?.type.name === 'topic') channel.permissions.checkTopic(exchange, 'read', routingKey);
}

export const queueHandlers: HandlerTable = [
  [MethodId.QueueDeclare, auditedQueueDeclare(declare) as Handler<never>],
  [MethodId.QueueBind, auditedQueueBinding('queue.bind', bind) as Handler<never>],
  [MethodId.QueueUnbind, auditedQueueBinding('queue.unbind', unbind) as Handler<never>],
  [MethodId.QueuePurge, purge as Handler<never>],
  [MethodId.QueueDelete, auditedQueueDelete(remove) as Handler<never>],
];
