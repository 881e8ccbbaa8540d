import type { Logger } from 'pino';
import type { PermissionKind, ResourceKind } from '../auth/access';
import type { MessageStats } from '../observability/stats';
import type { AmqpError } from '../protocol/amqp-error';
import type { Queue } from '../queue/queue';
import type { Clock } from '../util/clock';
import type { AuditSink } from '../vhost/audit';
import type { VirtualHost } from '../vhost/vhost';
import type { ContentBudget } from './command-assembler';

/**
 * What a channel needs from the connection it lives on, in small interfaces by role. The connection provides them
 * (its writer directly for output), tests provide fakes of only the roles they look at.
 */

/** What delivering and replying need: the connection's frame writer. */
export interface ChannelWriter {
  /** True while the socket's write buffer is over its limit: deliveries wait for 'drain'. */
  readonly blocked: boolean;
  method(channel: number, id: number, args: object): void;
  /** A content header and body frames, the properties bytes re-sent as received. */
  content(channel: number, properties: Buffer, body: Buffer): void;
  /** basic.deliver and its content in one call: the consumer hot path. */
  deliver(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    properties: Buffer,
    body: Buffer,
  ): void;
}

/** What publishing and definition methods need: the connection user's permissions. */
export interface ChannelPermissions {
  /** The authenticated user's name, checked against the user-id property. */
  readonly userName: string;
  /** Throws 403 ACCESS_REFUSED unless the connection's user has `kind` permission on the resource. */
  check(kind: PermissionKind, resource: ResourceKind, name: string): void;
  /** Topic authorisation of a routing key on a topic exchange. */
  checkTopic(exchange: string, kind: 'write' | 'read', routingKey: string): void;
  /** The write check of basic.publish (may be cached). */
  checkPublish(exchange: string): void;
}

/** What publishing needs for flow control. */
export interface PublishFlow {
  /** A queue this channel published into is congested: pause reading publishes until it drains. */
  throttle(queue: Queue): void;
}

/** How a channel reports failures that happen outside its method handlers. */
export interface ChannelLifecycle {
  readonly logger: Logger;
  /** Closes the channel with `error` from outside a method handler (a consumer timeout). */
  channelError(channelId: number, error: AmqpError): void;
  /**
   * An unexpected exception in the connection's work outside its frame handlers (a delivery, a timer, a commit
   * callback): logged with its stack, and the connection is closed with 541. Never the process.
   */
  internalError(err: unknown): void;
  /** The client's channel.close is answered (after the replies it was owed): forget the channel, send close-ok. */
  closedByClient(channelId: number): void;
}

/** Facts of the connection a channel reads: fixed once the connection is open. */
export interface ChannelSession {
  readonly vhost: VirtualHost;
  /** Identity for exclusive queues. */
  readonly owner: object;
  /** The client announced consumer_cancel_notify. */
  readonly consumerCancelNotify: boolean;
  /** Default consumer timeout in ms (0 = none); a queue's x-consumer-timeout overrides it. */
  readonly consumerTimeout: number;
  /** Most consumers on one channel (consumer_max_per_channel); no limit when absent. */
  readonly consumerMaxPerChannel?: number;
  /** Partly received bodies, counted across the connection's channels; each channel counts alone without it. */
  readonly contentBudget?: ContentBudget;
  /** Broker-wide counters (the overview's message_stats). */
  readonly brokerStats: MessageStats;
}

/** Everything a channel is built with. */
export interface ChannelDeps {
  readonly session: ChannelSession;
  readonly permissions: ChannelPermissions;
  readonly flow: PublishFlow;
  readonly writer: ChannelWriter;
  readonly lifecycle: ChannelLifecycle;
  /** The consumer timeout's clock; the system clock when absent. */
  readonly clock?: Clock;
  /** Where definition changes (and refused attempts) are recorded, and the client's address; nothing is when absent. */
  readonly audit?: ChannelAudit;
}

/** The audit log as a channel records to it (channel/audit.ts). */
export interface ChannelAudit {
  readonly sink: AuditSink;
  /** The client's address. */
  readonly peer: string;
}
