import type { Logger } from 'pino';
import type { PermissionKind, ResourceKind } from '../auth/access';
import { MessageStats } from '../observability/stats';
import { AmqpError } from '../protocol/amqp-error';
import { BasicPropertyFlag, MethodId, ReplyCode, decodeBasicProperties, type BasicPublishArgs } from '../protocol/generated/amqp';
import { fieldTypeName, type FieldTable } from '../protocol/field-table';
import type { Exchange } from '../exchange/exchange';
import { headersOf, type Message, type QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import { deliveryModeOf, expirationOf, hasSenderKeyHeader, parseExpiration } from '../protocol/properties';
import { editHeaders, encodeValue } from '../protocol/property-list';
import { releaseReplyTo, replyToProperties } from './reply-to';
import { delayOf } from '../delayed/scheduler';
import type { CommitListener } from '../store/store';
import type { VirtualHost } from '../vhost/vhost';
import { PUBLISH_DUPLICATE, PUBLISH_HELD, senderRouting, type Publisher } from '../vhost/publish';
import { CommandAssembler, type ContentBudget } from './command-assembler';
import { ConfirmTracker } from './confirms';
import { ChannelConsumer } from './consumer';
import { Unacked, UnackedTable } from './unacked';

const { UserId: USER_ID_FLAG, Expiration: EXPIRATION_FLAG, ReplyTo: REPLY_TO_FLAG, Headers: HEADERS_FLAG } = BasicPropertyFlag;
/** afterCommit token for a tx.commit waiting on the store; publish confirms use sequence numbers from 1. */
const TX_COMMIT_TOKEN = 0;
/** afterCommit token for a definition method's reply waiting on the store (replies queue in order). */
const DEFINITION_REPLY_TOKEN = -1;
const TX_COMMIT_OK = { id: MethodId.TxCommitOk, args: {} } as const;

/** A synchronous reply waiting for the store, and the basic.cancel notifications that follow it. */
interface PendingReply {
  readonly id: number;
  readonly args: object;
  cancels?: string[];
}

/** What a channel needs from its connection. */
export interface ChannelHost {
  readonly vhost: VirtualHost;
  /** Identity for exclusive queues. */
  readonly owner: object;
  readonly frameMax: number;
  /** True while the socket's write buffer is over its limit. */
  readonly writeBlocked: boolean;
  /** The client announced consumer_cancel_notify. */
  readonly consumerCancelNotify: boolean;
  /** Default consumer timeout in ms (0 = none); a queue's x-consumer-timeout overrides it. */
  readonly consumerTimeout: number;
  /** Closes the channel with `error` from outside a method handler (a consumer timeout). */
  channelError(channelId: number, error: AmqpError): void;
  /**
   * An unexpected exception in this connection's work outside its frame handlers (a delivery, a timer, a commit
   * callback): logged with its stack, and the connection is closed with 541. Never the process.
   */
  internalError(err: unknown): void;
  /** Partly received bodies, counted across the connection's channels; each channel counts alone without it. */
  readonly contentBudget?: ContentBudget;
  /** The authenticated user's name, checked against the user-id property. */
  readonly userName: string;
  readonly logger: Logger;
  /** Broker-wide counters (the overview's message_stats). */
  readonly brokerStats: MessageStats;
  /** Throws 403 ACCESS_REFUSED unless the connection's user has `kind` permission on the resource. */
  check(kind: PermissionKind, resource: ResourceKind, name: string): void;
  /** Topic authorisation of a routing key on a topic exchange. */
  checkTopic(exchange: string, kind: 'write' | 'read', routingKey: string): void;
  /** A queue this channel published into is congested: pause reading publishes until it drains. */
  throttle(queue: Queue): void;
  /** The write check of basic.publish (may be cached). */
  checkPublish(exchange: string): void;
  sendMethod(channel: number, id: number, args: object): void;
  sendContent(channel: number, properties: Buffer, body: Buffer): void;
  /** basic.deliver and its content in one call (the consumer hot path). */
  sendDelivery(
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

interface PendingPublish {
  readonly args: BasicPublishArgs;
  readonly exchange: Exchange;
  readonly message: Message;
  readonly routingKeys: readonly string[] | undefined;
}

/**
 * One AMQP channel: consumers, unacked deliveries, qos, confirm and tx state. Methods arrive through
 * dispatch.ts; content-bearing methods are assembled first. Errors are thrown as AmqpError and mapped
 * to channel.close or connection.close by the connection.
 */
export class Channel implements CommitListener {
  readonly assembler: CommandAssembler<BasicPublishArgs>;
  readonly consumers = new Map<string, ChannelConsumer>();
  readonly unacked = new UnackedTable();
  /** Set when the broker sent channel.close and waits for close-ok. */
  closing = false;
  /** basic.qos global=false: prefetch for consumers created afterwards. */
  consumerPrefetch = 0;
  /** basic.qos global=true: limit across the channel's consumers. */
  channelPrefetch = 0;
  confirm: ConfirmTracker | undefined;
  tx: { publishes: PendingPublish[]; acks: Unacked[] } | undefined;
  mostRecentQueue = '';
  /** The direct reply-to queue while the channel has a reply consumer. */
  replyQueue: Queue | undefined;
  readonly stats = new MessageStats();
  private nextDeliveryTag = 1;

  /** This channel's way into the vhost's publish pipeline (its scratch is reused for every message). */
  private readonly publisher: Publisher;
  /** Scratch of applySettlement: the queues a settlement touched. */
  private readonly settledQueues = new Set<Queue>();
  private confirmFlushScheduled = false;
  /** Replies to durable definition changes, sent in order as the store commits them. */
  private readonly pendingReplies: PendingReply[] = [];
  /** Consumer tags whose basic.cancel waits for the reply of the queue.delete being handled (see deleting()). */
  private heldCancels: string[] | undefined;
  /** tx.commit-ok replies waiting for the store. */
  private pendingCommits = 0;
  /** Set by the client's channel.close while replies are still owed: sends close-ok once they have gone out. */
  private closeWhenReplied: (() => void) | undefined;
  /**
   * The consumer timeout's ticker (one per channel, never per delivery) and its coarse clock: the time of its last
   * tick, which stamps the deliveries until the next one, so a delivery does not read the clock.
   */
  private timeoutTimer: NodeJS.Timeout | undefined;
  private timeoutTickMs = 0;
  private timeoutClock = 0;
  private readonly checkTimeoutsLater = (): void => {
    this.timeoutTimer = undefined;
    try {
      this.checkTimeouts();
    } catch (err) {
      this.host.internalError(err);
    }
  };
  private readonly flushConfirmsLater = (): void => {
    this.confirmFlushScheduled = false;
    try {
      this.flushConfirms();
    } catch (err) {
      this.host.internalError(err);
    }
  };

  constructor(
    readonly id: number,
    readonly host: ChannelHost,
  ) {
    this.assembler = new CommandAssembler<BasicPublishArgs>(host.contentBudget);
    this.publisher = host.vhost.publisher({ congested: (queue) => host.throttle(queue) });
  }

  get vhost(): VirtualHost {
    return this.host.vhost;
  }

  // ---- sending ---------------------------------------------------------------------------------

  send(id: number, args: object): void {
    this.host.sendMethod(this.id, id, args);
  }

  /**
   * Replies to a definition method. When the method wrote durable definitions (the vhost's write counter moved
   * since `writesBefore`), the reply waits for the store's commit, so a client never hears of a durable exchange,
   * queue or binding that a crash could still lose.
   */
  replyDefinition(id: number, args: object, writesBefore: number): void {
    if (this.vhost.definitionWrites === writesBefore && !this.owesReplies) {
      this.send(id, args);
      return;
    }
    this.pendingReplies.push({ id, args });
    this.vhost.store.afterCommit(this, DEFINITION_REPLY_TOKEN);
  }

  // ---- publishing ------------------------------------------------------------------------------

  /** A complete basic.publish command arrived. */
  publish(args: BasicPublishArgs, properties: Buffer, body: Buffer): void {
    if (args.immediate) throw new AmqpError(ReplyCode.NotImplemented, 'immediate=true');
    this.host.checkPublish(args.exchange);
    const exchange = this.vhost.exchangeOrDie(args.exchange);
    if (exchange.type.name === 'topic') this.host.checkTopic(exchange.name, 'write', args.routingKey);
    if (exchange.internal) {
      throw new AmqpError(
        ReplyCode.AccessRefused,
        `cannot publish to internal exchange '${exchange.name}' in vhost '${this.vhost.name}'`,
      );
    }
    let expiration = -1;
    let routingKeys: string[] | undefined;
    if (properties.length >= 2) {
      const flags = properties.readUInt16BE(0);
      if ((flags & USER_ID_FLAG) !== 0) this.checkUserId(properties);
      if ((flags & EXPIRATION_FLAG) !== 0) expiration = checkedExpiration(properties);
      if ((flags & REPLY_TO_FLAG) !== 0) properties = replyToProperties(this, properties);
      if ((flags & HEADERS_FLAG) !== 0) ({ routingKeys, properties } = senderRouting(args.routingKey, properties));
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
    if (this.tx !== undefined) {
      this.tx.publishes.push({ args, exchange, message, routingKeys });
      return;
    }
    this.route(args, exchange, message, routingKeys);
  }

  /** RabbitMQ validates the user-id property against the connection's user. */
  private checkUserId(properties: Buffer): void {
    const userId = decodeBasicProperties(properties, 0, properties.length).userId;
    if (userId !== undefined && userId !== this.host.userName) {
      throw new AmqpError(
        ReplyCode.PreconditionFailed,
        `user_id property set to '${userId}' but authenticated user was '${this.host.userName}'`,
      );
    }
  }

  /** `routingKeys`: the routing key plus CC and BCC keys, when the message has such headers. */
  private route(args: BasicPublishArgs, exchange: Exchange, message: Message, routingKeys?: readonly string[]): void {
    const stats = this.stats;
    const brokerStats = this.host.brokerStats;
    stats.publish++;
    brokerStats.publish++;
    if (this.confirm !== undefined) brokerStats.received_confirm++;
    const publisher = this.publisher;
    const routed = publisher.publish(exchange, message, routingKeys);
    if (routed === PUBLISH_DUPLICATE) {
      // x-message-deduplication: a repeat is dropped and confirmed without routing.
      this.confirmAtOnce();
      return;
    }
    if (routed === PUBLISH_HELD) {
      // x-delayed-message: the confirm waits for the scheduler's store write.
      const confirm = this.confirm;
      if (confirm !== undefined) this.vhost.store.afterCommit(this, confirm.next());
      return;
    }
    if (routed === 0) {
      if (args.mandatory) {
        stats.return_unroutable++;
        brokerStats.return_unroutable++;
        this.returnMessage(message, ReplyCode.NoRoute, 'NO_ROUTE');
      } else {
        stats.drop_unroutable++;
        brokerStats.drop_unroutable++;
      }
    } else {
      brokerStats.routed++;
    }
    const confirm = this.confirm;
    if (confirm === undefined) return;
    // x-overflow reject-publish: a queue that refused the message turns its confirm into a nack.
    if (publisher.refused) {
      confirm.settle(confirm.next(), false);
      return;
    }
    // A message a durable queue wrote to the store is confirmed once that write is durable.
    if (message.id !== 0) {
      this.vhost.store.afterCommit(this, confirm.next());
      return;
    }
    confirm.settle(confirm.next(), true);
    stats.confirm++;
    brokerStats.confirm++;
  }

  /** A publish that reached no store write: its confirm (if any) is an ack at once. */
  private confirmAtOnce(): void {
    const confirm = this.confirm;
    if (confirm === undefined) return;
    confirm.settle(confirm.next(), true);
    this.stats.confirm++;
    this.host.brokerStats.confirm++;
  }

  /** The store made a publish (token = confirm sequence number) or a tx.commit durable. */
  committed(token: number): void {
    try {
      this.onCommitted(token);
    } catch (err) {
      this.host.internalError(err);
    }
  }

  private onCommitted(token: number): void {
    if (token === TX_COMMIT_TOKEN || token === DEFINITION_REPLY_TOKEN) {
      let reply: PendingReply | undefined;
      if (token === TX_COMMIT_TOKEN) {
        this.pendingCommits--;
        reply = TX_COMMIT_OK;
      } else {
        reply = this.pendingReplies.shift();
      }
      // A channel the broker closed owes nothing more; one the client is closing still sends what it owes.
      if (reply === undefined || (this.closing && this.closeWhenReplied === undefined)) return;
      this.send(reply.id, reply.args);
      if (reply.cancels !== undefined) this.sendCancels(reply.cancels);
      if (this.closeWhenReplied !== undefined && !this.owesReplies) {
        const close = this.closeWhenReplied;
        this.closeWhenReplied = undefined;
        close();
      }
      return;
    }
    if (this.closing) return;
    this.confirm?.settle(token, true);
    this.stats.confirm++;
    this.host.brokerStats.confirm++;
    if (!this.confirmFlushScheduled) {
      this.confirmFlushScheduled = true;
      process.nextTick(this.flushConfirmsLater);
    }
  }

  private returnMessage(message: Message, replyCode: number, replyText: string): void {
    this.send(MethodId.BasicReturn, {
      replyCode,
      replyText,
      exchange: message.exchange,
      routingKey: message.routingKey,
    });
    this.host.sendContent(this.id, message.properties, message.body);
  }

  /** End of a read turn: coalesced publisher confirms go out. */
  flushConfirms(): void {
    if (this.confirm !== undefined && !this.closing) this.confirm.flush(this);
  }

  // ---- delivering ------------------------------------------------------------------------------

  canDeliver(): boolean {
    return !this.closing && !this.host.writeBlocked;
  }

  hasGlobalCredit(): boolean {
    return this.channelPrefetch === 0 || this.unacked.size < this.channelPrefetch;
  }

  /**
   * Sends one delivery, then records it. The send comes first so that a throw (a bug) leaves nothing recorded: the
   * queue takes the entry back and this channel's connection is closed (Queue.deliveryFailed).
   */
  deliver(consumer: ChannelConsumer, queue: Queue, entry: QueueEntry): void {
    const tag = this.nextDeliveryTag++;
    const message = entry.message;
    this.host.sendDelivery(
      this.id,
      consumer.tag,
      tag,
      entry.redelivered,
      message.exchange,
      message.routingKey,
      message.properties,
      message.body,
    );
    if (!consumer.noAck) {
      this.unacked.add(new Unacked(tag, queue, entry, consumer, this.watchTimeout(queue)));
      consumer.unacked++;
    }
    const stats = this.stats;
    const brokerStats = this.host.brokerStats;
    if (consumer.noAck) {
      stats.deliver_no_ack++;
      brokerStats.deliver_no_ack++;
    } else {
      stats.deliver++;
      brokerStats.deliver++;
    }
    if (entry.redelivered) {
      stats.redeliver++;
      brokerStats.redeliver++;
    }
  }

  /** basic.get: hands one entry over outside any consumer (sent first, then recorded, as deliver does). */
  deliverGet(queue: Queue, entry: QueueEntry, noAck: boolean): void {
    const tag = this.nextDeliveryTag++;
    const message = entry.message;
    this.send(MethodId.BasicGetOk, {
      deliveryTag: tag,
      redelivered: entry.redelivered,
      exchange: message.exchange,
      routingKey: message.routingKey,
      messageCount: queue.messageCount,
    });
    this.host.sendContent(this.id, message.properties, message.body);
    if (!noAck) this.unacked.add(new Unacked(tag, queue, entry, undefined, this.watchTimeout(queue)));
    const stats = this.stats;
    const brokerStats = this.host.brokerStats;
    if (noAck) {
      stats.get_no_ack++;
      brokerStats.get_no_ack++;
    } else {
      stats.get++;
      brokerStats.get++;
    }
    if (entry.redelivered) {
      stats.redeliver++;
      brokerStats.redeliver++;
    }
  }

  // ---- consumer timeout ------------------------------------------------------------------------

  private timeoutOf(queue: Queue): number {
    return queue.settings.consumerTimeout ?? this.host.consumerTimeout;
  }

  /**
   * A delivery needing an ack is going out: makes sure the ticker runs often enough for its queue's timeout, and
   * returns the time to stamp it with, the coarse clock (at most one tick before now).
   */
  private watchTimeout(queue: Queue): number {
    const timeout = this.timeoutOf(queue);
    if (timeout === 0) return Date.now(); // unwatched (rare: the default is 30 min); a policy may add a timeout later
    const tick = tickFor(timeout);
    if (this.timeoutTimer === undefined || tick < this.timeoutTickMs) {
      this.timeoutClock = Date.now();
      this.armTimeout(tick);
    }
    return this.timeoutClock;
  }

  private armTimeout(tick: number): void {
    clearTimeout(this.timeoutTimer);
    this.timeoutTickMs = tick;
    this.timeoutTimer = setTimeout(this.checkTimeoutsLater, tick);
    this.timeoutTimer.unref();
  }

  /**
   * A tick: a delivery unacked past its queue's timeout closes the channel with 406, as RabbitMQ's consumer_timeout
   * does (its deliveries are requeued by the close); otherwise the ticker goes on while deliveries are watched.
   * A delivery is stamped with the clock of the tick before it, so its deadline gets one tick's margin: a timeout
   * fires between one and two ticks late (a tick is a quarter of the timeout, at most a minute), never early.
   */
  private checkTimeouts(): void {
    if (this.closing) return;
    const now = Date.now();
    this.timeoutClock = now;
    let tick = 0;
    for (const u of this.unacked.values()) {
      const timeout = this.timeoutOf(u.queue);
      if (timeout === 0) continue;
      const uTick = tickFor(timeout);
      if (u.deliveredAt + timeout + uTick <= now) {
        this.host.channelError(
          this.id,
          new AmqpError(
            ReplyCode.PreconditionFailed,
            `delivery acknowledgement on channel ${this.id} timed out. Timeout value used: ${timeout} ms. ` +
              'This timeout value can be configured, see consumers doc guide to learn more',
          ),
        );
        return;
      }
      if (tick === 0 || uTick < tick) tick = uTick;
    }
    if (tick !== 0) this.armTimeout(tick);
  }

  // ---- settling --------------------------------------------------------------------------------

  /** basic.ack / basic.nack / basic.reject. Unknown tags close the channel with 406. */
  settle(deliveryTag: number, multiple: boolean, ack: boolean, requeue: boolean): void {
    const settled = this.unacked.take(deliveryTag, multiple);
    if (settled === undefined) {
      throw new AmqpError(ReplyCode.PreconditionFailed, `unknown delivery tag ${deliveryTag}`);
    }
    if (this.tx !== undefined) {
      for (const u of settled) {
        u.ack = ack;
        u.requeue = requeue;
        this.tx.acks.push(u);
      }
      return;
    }
    this.applySettlement(settled, ack, requeue);
  }

  /** Requeues (or drops) and frees prefetch credit, then lets the affected queues deliver again. */
  applySettlement(settled: Unacked[], ack: boolean, requeue: boolean): void {
    const queues = this.settledQueues;
    queues.clear();
    let requeued: Map<Queue, QueueEntry[]> | undefined;
    for (const u of settled) {
      if (u.consumer !== undefined) {
        u.consumer.unacked--;
        queues.add(u.consumer.queue);
      }
      if (ack) {
        this.stats.ack++;
        this.host.brokerStats.ack++;
        u.queue.stats.ack++;
      }
      if (ack || !requeue) u.queue.settle(u.entry, !ack);
      else {
        requeued ??= new Map();
        let list = requeued.get(u.queue);
        if (list === undefined) requeued.set(u.queue, (list = []));
        list.push(u.entry);
      }
    }
    if (requeued !== undefined) for (const [queue, entries] of requeued) queue.requeue(entries);
    if (this.channelPrefetch !== 0) for (const consumer of this.consumers.values()) queues.add(consumer.queue);
    for (const queue of queues) (queue as Queue).drain();
    queues.clear();
  }

  /** basic.recover / channel close: every unacked delivery goes back to its queue. */
  requeueAll(): void {
    const all = this.unacked.takeAll();
    if (all.length > 0) this.applySettlement(all, false, true);
  }

  // ---- consumers -------------------------------------------------------------------------------

  addConsumer(consumer: ChannelConsumer): void {
    this.consumers.set(consumer.tag, consumer);
    consumer.queue.addConsumer(consumer);
  }

  cancelConsumer(tag: string): void {
    const consumer = this.consumers.get(tag);
    if (consumer === undefined) return;
    this.consumers.delete(tag);
    consumer.queue.removeConsumer(consumer);
    if (consumer.queue === this.replyQueue) releaseReplyTo(this);
  }

  consumerCancelledByBroker(consumer: ChannelConsumer): void {
    if (this.consumers.get(consumer.tag) !== consumer) return;
    this.consumers.delete(consumer.tag);
    if (this.heldCancels !== undefined) this.heldCancels.push(consumer.tag);
    else this.sendCancels([consumer.tag]);
  }

  /**
   * Runs a queue deletion this channel asked for, `reply` being its delete-ok (undefined with no-wait). The
   * channel's own consumers on that queue hear basic.cancel after the delete-ok, as from RabbitMQ, whose channel
   * replies before it handles the queue's end: a client that closes the channel on the cancel has had its reply.
   */
  deleting(remove: () => number, reply: ((messageCount: number) => void) | undefined): void {
    const held: string[] = [];
    this.heldCancels = held;
    try {
      const messageCount = remove();
      reply?.(messageCount);
    } finally {
      this.heldCancels = undefined;
      if (held.length > 0) {
        const last = this.pendingReplies[this.pendingReplies.length - 1];
        if (last !== undefined) last.cancels = [...(last.cancels ?? []), ...held];
        else this.sendCancels(held);
      }
    }
  }

  private sendCancels(tags: readonly string[]): void {
    if (!this.host.consumerCancelNotify || this.closing) return;
    for (const consumerTag of tags) this.send(MethodId.BasicCancel, { consumerTag, noWait: true });
  }

  /** Restarts deliveries after flow, qos or write-buffer changes. */
  resumeDeliveries(): void {
    for (const consumer of this.consumers.values()) consumer.queue.scheduleDrain();
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  private get owesReplies(): boolean {
    return this.pendingReplies.length > 0 || this.pendingCommits > 0;
  }

  /**
   * The client's channel.close: the channel lets go of everything at once, and `sendCloseOk` runs after the
   * synchronous replies it still owes (durable declares and deletes, tx.commit waiting for the store), so that
   * every request the client made before closing is answered, in order, before close-ok.
   */
  closeByClient(sendCloseOk: () => void): void {
    this.release();
    if (this.owesReplies) this.closeWhenReplied = sendCloseOk;
    else sendCloseOk();
  }

  /** Releases everything the channel holds: consumers first, then unacked deliveries back to their queues. */
  release(): void {
    this.closing = true;
    clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    this.assembler.reset();
    const consumers = [...this.consumers.values()];
    this.consumers.clear();
    if (this.tx !== undefined) {
      this.tx.publishes.length = 0;
      for (const u of this.tx.acks.splice(0)) this.unacked.add(u);
    }
    for (const consumer of consumers) consumer.queue.removeConsumer(consumer);
    releaseReplyTo(this);
    this.requeueAll();
  }

  // ---- tx --------------------------------------------------------------------------------------

  /** Applies the transaction; commit-ok goes out once the store has made it durable. */
  commit(): void {
    const tx = this.tx as NonNullable<Channel['tx']>;
    const publishes = tx.publishes.splice(0);
    const acks = tx.acks.splice(0);
    for (const p of publishes) this.route(p.args, p.exchange, p.message, p.routingKeys);
    for (const u of acks) this.applySettlement([u], u.ack, u.requeue);
    this.pendingCommits++;
    this.vhost.store.afterCommit(this, TX_COMMIT_TOKEN);
  }

  rollback(): void {
    const tx = this.tx as NonNullable<Channel['tx']>;
    tx.publishes.length = 0;
    for (const u of tx.acks.splice(0)) this.unacked.add(u);
  }
}

/** The consumer timeout's tick for a timeout: a quarter of it, between 1 ms and a minute. */
function tickFor(timeout: number): number {
  return Math.min(Math.max(1, Math.floor(timeout / 4)), 60_000);
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
