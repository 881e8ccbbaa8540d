import { randomBytes } from 'node:crypto';
import { AmqpError } from '../protocol/amqp-error';
import { BasicPropertyFlag, MethodId, ReplyCode, type BasicConsumeArgs } from '../protocol/generated/amqp';
import { decodeOrUndefined } from '../protocol/properties';
import { editProperties } from '../protocol/property-list';
import { Queue } from '../queue/queue';
import type { Channel } from './channel';
import { ChannelConsumer } from './consumer';

/**
 * Direct reply-to (RabbitMQ's amq.rabbitmq.reply-to): an RPC client consumes from the pseudo-queue with noAck and
 * publishes requests with reply_to 'amq.rabbitmq.reply-to'; the broker rewrites that to a name unique to the
 * channel, and replies published to the default exchange with that name as routing key go straight to the
 * channel's reply consumer. Nothing is declared or stored: the reply queue is a private Queue registered with the
 * vhost under its generated name for as long as the consumer exists.
 */
export const REPLY_TO = 'amq.rabbitmq.reply-to';
export const REPLY_TO_PREFIX = `${REPLY_TO}.`;

const REPLY_TO_FLAG = BasicPropertyFlag.ReplyTo;

/** basic.consume on amq.rabbitmq.reply-to. */
export function consumeReplyTo(channel: Channel, args: BasicConsumeArgs, tag: string): void {
  if (!args.noAck) throw new AmqpError(ReplyCode.PreconditionFailed, 'reply consumer cannot acknowledge');
  if (channel.replyQueue !== undefined) throw new AmqpError(ReplyCode.PreconditionFailed, 'reply consumer already set');
  const id = Buffer.alloc(8);
  id.writeUInt32BE(channel.id, 0);
  id.writeUInt32BE(randomBytes(4).readUInt32BE(0), 4);
  const name = `${REPLY_TO_PREFIX}${id.toString('base64')}.${randomBytes(16).toString('base64')}`;
  const queue = new Queue(
    { vhost: channel.vhost.name, name, durable: false, autoDelete: false, exclusiveOwner: channel.owner, arguments: {} },
    { unused: () => undefined },
  );
  channel.replyQueue = queue;
  channel.vhost.replyQueues.set(name, queue);
  const consumer = new ChannelConsumer(channel, queue, tag, true, args.exclusive, 0, 0);
  if (!args.noWait) channel.send(MethodId.BasicConsumeOk, { consumerTag: tag });
  channel.addConsumer(consumer);
}

/** The reply consumer is gone (cancelled, or its channel closed): replies to its name are dropped from now on. */
export function releaseReplyTo(channel: Channel): void {
  const queue = channel.replyQueue;
  if (queue === undefined) return;
  channel.replyQueue = undefined;
  channel.vhost.replyQueues.delete(queue.name);
  queue.destroy();
}

/**
 * A publish whose reply_to is amq.rabbitmq.reply-to gets the channel's reply address instead; without a reply
 * consumer on the channel it is 406, as in RabbitMQ. Other properties are returned as they are.
 */
export function replyToProperties(channel: Channel, properties: Buffer): Buffer {
  if (properties.length < 2 || (properties.readUInt16BE(0) & REPLY_TO_FLAG) === 0) return properties;
  if (decodeOrUndefined(properties)?.replyTo !== REPLY_TO) return properties;
  const queue = channel.replyQueue;
  if (queue === undefined) throw new AmqpError(ReplyCode.PreconditionFailed, 'fast reply consumer does not exist');
  return editProperties(properties, { replyTo: queue.name });
}
