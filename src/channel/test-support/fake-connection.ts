/**
 * A channel's connection, faked for unit tests of a real Channel on a real VirtualHost: every role of ports.ts in
 * one object that records what the channel sends and reports, with permissive permission checks.
 */
import { createLogger } from '../../observability/logger';
import { MessageStats } from '../../observability/stats';
import type { AmqpError } from '../../protocol/amqp-error';
import { MethodId } from '../../protocol/generated/amqp';
import type { Clock } from '../../util/clock';
import type { VirtualHost } from '../../vhost/vhost';
import { Channel } from '../channel';
import type { ChannelDeps, ChannelLifecycle, ChannelPermissions, ChannelSession, ChannelWriter, PublishFlow } from '../ports';

/** The identity of the fake connection, for exclusive queues. */
export const OWNER = { conn: 'test' };

/** A method the channel sent; basic.deliver is recorded with its fields as arguments. */
export interface Sent {
  readonly channel: number;
  readonly id: number;
  readonly args: Record<string, unknown>;
}

/** A channel error the channel reported outside a handler, and when (by the channel's clock). */
export interface ChannelErrorCall {
  readonly channelId: number;
  readonly error: AmqpError;
  readonly at: number;
}

export interface FakeConnectionOptions {
  /** Default consumer timeout in ms (0 = none). */
  consumerTimeout?: number;
  clock?: Clock;
}

export class FakeConnection implements ChannelSession, ChannelPermissions, PublishFlow, ChannelWriter, ChannelLifecycle {
  readonly owner = OWNER;
  readonly consumerCancelNotify = true;
  readonly consumerTimeout: number;
  readonly brokerStats = new MessageStats();
  readonly userName = 'guest';
  readonly logger = createLogger({ level: 'silent' });
  readonly sent: Sent[] = [];
  readonly errors: ChannelErrorCall[] = [];
  /** Channels whose client close was answered with close-ok. */
  readonly closeOks: number[] = [];
  blocked = false;
  private readonly clock: Clock | undefined;

  constructor(
    readonly vhost: VirtualHost,
    options: FakeConnectionOptions = {},
  ) {
    this.consumerTimeout = options.consumerTimeout ?? 0;
    this.clock = options.clock;
  }

  get deps(): ChannelDeps {
    return { session: this, permissions: this, flow: this, writer: this, lifecycle: this, clock: this.clock };
  }

  openChannel(id = 1): Channel {
    return new Channel(id, this.deps);
  }

  /** Delivery tags of basic.deliver and basic.get-ok, in order. */
  get deliveryTags(): number[] {
    return this.sent
      .filter((s) => s.id === MethodId.BasicDeliver || s.id === MethodId.BasicGetOk)
      .map((s) => s.args.deliveryTag as number);
  }

  check(): void {}
  checkTopic(): void {}
  checkPublish(): void {}
  throttle(): void {}

  method(channel: number, id: number, args: object): void {
    this.sent.push({ channel, id, args: args as Record<string, unknown> });
  }

  content(): void {}

  deliver(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
  ): void {
    this.sent.push({ channel, id: MethodId.BasicDeliver, args: { consumerTag, deliveryTag, redelivered, exchange, routingKey } });
  }

  channelError(channelId: number, error: AmqpError): void {
    this.errors.push({ channelId, error, at: this.clock?.now() ?? Date.now() });
  }

  internalError(err: unknown): void {
    throw err;
  }

  closedByClient(channelId: number): void {
    this.closeOks.push(channelId);
  }
}
