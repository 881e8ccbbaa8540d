import { AmqpError } from '../protocol/amqp-error';
import { BasicPropertyFlag, MethodId, ReplyCode, decodeBasicProperties, type BasicPublishArgs } from '../protocol/generated/amqp';
import type { Exchange } from '../exchange/exchange';
import type { Message } from '../queue/message';
import { deliveryModeOf, expirationOf, hasSenderKeyHeader, parseExpiration } from '../protocol/properties';
import { PUBLISH_DUPLICATE, PUBLISH_HELD, senderRouting } from '../vhost/publish';
import type { Channel } from './channel';
import { replyToProperties } from './reply-to';

const { UserId: USER_ID_FLAG, Expiration: EXPIRATION_FLAG, ReplyTo: REPLY_TO_FLAG, Headers: HEADERS_FLAG } = BasicPropertyFlag;

/** A publish held by an open transaction until tx.commit. */
export interface PendingPublish {
  readonly args: BasicPublishArgs;
  readonly exchange: Exchange;
  readonly message: Message;
  readonly routingKeys: readonly string[] | undefined;
}

/**
 * A complete basic.publish command: the channel's checks (permissions, internal exchange, user-id, expiration,
 * direct reply-to, CC/BCC), then the vhost's publish pipeline, or the transaction holding it.
 */
export function publishCommand(channel: Channel, args: BasicPublishArgs, properties: Buffer, body: Buffer): void {
  if (args.immediate) throw new AmqpError(ReplyCode.NotImplemented, 'immediate=true');
  const permissions = channel.permissions;
  permissions.checkPublish(args.exchange);
  const vhost = channel.vhost;
  const exchange = vhost.exchangeOrDie(args.exchange);
  if (exchange.type.name === 'topic') permissions.checkTopic(exchange.name, 'write', args.routingKey);
  if (exchange.internal) {
    throw new AmqpError(
      ReplyCode.AccessRefused,
      `cannot publish to internal exchange '${exchange.name}' in vhost '${vhost.name}'`,
    );
  }
  let expiration = -1;
  let routingKeys: string[] | undefined;
  if (properties.length >= 2) {
    const flags = properties.readUInt16BE(0);
    if ((flags & USER_ID_FLAG) !== 0) checkUserId(channel, properties);
    if ((flags & EXPIRATION_FLAG) !== 0) expiration = checkedExpiration(properties);
    if ((flags & REPLY_TO_FLAG) !== 0) properties = replyToProperties(channel, properties);
    // Checked here first so that the common message, with headers but no CC or BCC, allocates nothing more.
    if ((flags & HEADERS_FLAG) !== 0 && hasSenderKeyHeader(properties)) {
      ({ routingKeys, properties } = senderRouting(args.routingKey, properties));
    }
  }
  const message: Message = {
    id: 0,
    persistent: deliveryModeOf(properties) === 2,
    exchange: args.exchange,
    routingKey: args.routingKey,
    properties,
    body,
    expiration,
    headers: undefined,
  };
  if (message.persistent && vhost.store.writeFailing === true) {
    refuseUnwritable(channel);
    return;
  }
  if (channel.tx !== undefined) {
    channel.tx.publishes.push({ args, exchange, message, routingKeys });
    return;
  }
  route(channel, args, exchange, message, routingKeys);
}

/**
 * The store cannot write (disk full, writer gone; the disk alarm is on): a persistent message is refused, never
 * taken into memory where it could be lost unannounced. In confirm mode it is nacked (the channel stays open, the
 * client may publish it again later); otherwise there is no way to say so on the channel, and the connection is
 * closed with 541 INTERNAL_ERROR (a hard error in 0-9-1). spec/errata.md.
 */
function refuseUnwritable(channel: Channel): void {
  const confirm = channel.confirm;
  if (confirm !== undefined && channel.tx === undefined) {
    channel.stats.publish++;
    channel.brokerStats.publish++;
    confirm.settle(confirm.next(), false);
    return;
  }
  throw new AmqpError(ReplyCode.InternalError, 'the message store cannot write; persistent messages are refused until it can');
}

/**
 * Into the vhost's pipeline; what is the channel's own follows: mandatory returns, confirms, statistics.
 * `routingKeys`: the routing key plus CC and BCC keys, when the message has such headers.
 */
export function route(
  channel: Channel,
  args: BasicPublishArgs,
  exchange: Exchange,
  message: Message,
  routingKeys?: readonly string[],
): void {
  const stats = channel.stats;
  const brokerStats = channel.brokerStats;
  stats.publish++;
  brokerStats.publish++;
  if (channel.confirm !== undefined) brokerStats.received_confirm++;
  const publisher = channel.publisher;
  const routed = publisher.publish(exchange, message, routingKeys);
  if (routed === PUBLISH_DUPLICATE) {
    // x-message-deduplication: a repeat is dropped and confirmed without routing.
    confirmAtOnce(channel);
    return;
  }
  if (routed === PUBLISH_HELD) {
    // x-delayed-message: the confirm waits for the scheduler's store write.
    const confirm = channel.confirm;
    if (confirm !== undefined) channel.vhost.store.afterCommit(channel, confirm.next());
    return;
  }
  if (routed === 0) {
    if (args.mandatory) {
      stats.return_unroutable++;
      brokerStats.return_unroutable++;
      returnMessage(channel, message, ReplyCode.NoRoute, 'NO_ROUTE');
    } else {
      stats.drop_unroutable++;
      brokerStats.drop_unroutable++;
    }
  } else {
    brokerStats.routed++;
  }
  const confirm = channel.confirm;
  if (confirm === undefined) return;
  // x-overflow reject-publish: a queue that refused the message turns its confirm into a nack.
  if (publisher.refused) {
    confirm.settle(confirm.next(), false);
    return;
  }
  // A message a durable queue wrote to the store is confirmed once that write is durable, or once every queue has
  // had it acked before the write went (then it is never written).
  if (message.id !== 0) {
    channel.vhost.store.afterCommit(channel, confirm.next(), message.id);
    return;
  }
  confirm.settle(confirm.next(), true);
  stats.confirm++;
  brokerStats.confirm++;
}

/** A publish that reached no store write: its confirm (if any) is an ack at once. */
function confirmAtOnce(channel: Channel): void {
  const confirm = channel.confirm;
  if (confirm === undefined) return;
  confirm.settle(confirm.next(), true);
  channel.stats.confirm++;
  channel.brokerStats.confirm++;
}

function returnMessage(channel: Channel, message: Message, replyCode: number, replyText: string): void {
  channel.send(MethodId.BasicReturn, {
    replyCode,
    replyText,
    exchange: message.exchange,
    routingKey: message.routingKey,
  });
  channel.writer.content(channel.id, message.properties, message.body);
}

/** RabbitMQ validates the user-id property against the connection's user. */
function checkUserId(channel: Channel, properties: Buffer): void {
  const userId = decodeBasicProperties(properties, 0, properties.length).userId;
  const userName = channel.permissions.userName;
  if (userId !== undefined && userId !== userName) {
    throw new AmqpError(
      ReplyCode.PreconditionFailed,
      `user_id property set to '${userId}' but authenticated user was '${userName}'`,
    );
  }
}

/** The expiration property in ms; an invalid one closes the channel with RabbitMQ's 406. */
function checkedExpiration(properties: Buffer): number {
  const expiration = parseExpiration(properties);
  if (typeof expiration === 'number') return expiration;
  throw new AmqpError(
    ReplyCode.PreconditionFailed,
    `invalid expiration '${expirationOf(properties) ?? ''}': ${expiration}`,
  );
}
