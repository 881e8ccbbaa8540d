import { MessageStats } from '../observability/stats';
import { AmqpError } from '../protocol/amqp-error';
import { FRAME_HEADER, MethodId, ReplyCode, type BasicPublishArgs } from '../protocol/generated/amqp';
import type { QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import type { CommitListener } from '../store/store';
import { systemClock } from '../util/clock';
import type { VirtualHost } from '../vhost/vhost';
import type { Publisher } from '../vhost/publish';
import { CommandAssembler } from './command-assembler';
import type { ConfirmTracker } from './confirms';
import type { ChannelConsumer } from './consumer';
import { ConsumerTimeouts } from './consumer-timeout';
import { deliverGet } from './delivery';
import { dispatchTable } from './dispatch';
import type { ChannelAudit, ChannelDeps, ChannelLifecycle, ChannelPermissions, ChannelSession, ChannelWriter } from './ports';
import { publishCommand, route, type PendingPublish } from './publish';
import { ChannelReplies } from './replies';
import { releaseReplyTo } from './reply-to';
import type { Unacked } from './unacked';
import { UnackedTable } from './unacked';

/**
 * One AMQP channel: consumers, unacked deliveries, qos, confirm and tx state. The connection hands it its method
 * and content frames; it assembles content-bearing commands itself and runs methods through dispatch.ts. Errors
 * are thrown as AmqpError and mapped to channel.close or connection.close by the connection.
 *
 * Its roles live beside it: publish.ts (basic.publish into the vhost's pipeline), delivery.ts (basic.deliver and
 * basic.get-ok), consumer-timeout.ts (the ticker), replies.ts (replies waiting for the store).
 */
export class Channel implements CommitListener {
  readonly vhost: VirtualHost;
  /** Identity for exclusive queues (the connection). */
  readonly owner: object;
  readonly session: ChannelSession;
  readonly permissions: ChannelPermissions;
  /** Where this channel's definition changes are recorded (channel/audit.ts); undefined: nowhere. */
  readonly audit: ChannelAudit | undefined;
  readonly writer: ChannelWriter;
  readonly lifecycle: ChannelLifecycle;
  /** Broker-wide counters (the overview's message_stats). */
  readonly brokerStats: MessageStats;
  readonly consumers = new Map<string, ChannelConsumer>();
  readonly unacked = new UnackedTable();
  /** Set when the channel let go of everything (the broker sent channel.close, or the client did). */
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
  /** The next basic.deliver / basic.get-ok tag (delivery.ts). */
  nextDeliveryTag = 1;
  /** This channel's way into the vhost's publish pipeline (its scratch is reused for every message). */
  readonly publisher: Publisher;
  readonly timeouts: ConsumerTimeouts;
  readonly replies: ChannelReplies;

  private readonly assembler: CommandAssembler<BasicPublishArgs>;
  /** Scratch of applySettlement: the queues a settlement touched. */
  private readonly settledQueues = new Set<Queue>();
  private confirmFlushScheduled = false;
  private readonly flushConfirmsLater = (): void => {
    this.confirmFlushScheduled = false;
    try {
      this.flushConfirms();
    } catch (err) {
      this.lifecycle.internalError(err);
    }
  };

  constructor(
    readonly id: number,
    deps: ChannelDeps,
  ) {
    const session = deps.session;
    this.session = session;
    this.vhost = session.vhost;
    this.owner = session.owner;
    this.brokerStats = session.brokerStats;
    this.permissions = deps.permissions;
    this.audit = deps.audit;
    this.writer = deps.writer;
    this.lifecycle = deps.lifecycle;
    this.assembler = new CommandAssembler<BasicPublishArgs>(session.contentBudget);
    const flow = deps.flow;
    this.publisher = session.vhost.publisher({ congested: (queue) => flow.throttle(queue) });
    this.timeouts = new ConsumerTimeouts(this, deps.clock ?? systemClock);
    this.replies = new ChannelReplies(this);
  }

  send(id: number, args: object): void {
    this.writer.method(this.id, id, args);
  }

  // ---- frames from the connection --------------------------------------------------------------

  /**
   * A method frame's decoded arguments. A content-bearing method (basic.publish) starts a command the content
   * frames complete; others run now. A method in the middle of content is 505 UNEXPECTED_FRAME.
   */
  method(id: number, args: object, hasContent: boolean): void {
    this.assembler.onMethod(args as BasicPublishArgs, hasContent);
    if (hasContent) return;
    if (id === MethodId.ChannelClose) {
      this.closeByClient();
      return;
    }
    const handler = dispatchTable.get(id);
    if (handler === undefined) throw new AmqpError(ReplyCode.CommandInvalid, 'unimplemented method');
    handler(this, args as never);
  }

  /** True while a content-bearing method waits for its content (errors in content frames are blamed on it). */
  get awaitingContent(): boolean {
    return !this.assembler.idle;
  }

  /** A content header or body frame, its payload buf[start, end) valid during the call only. */
  content(type: number, buf: Buffer, start: number, end: number): void {
    const assembler = this.assembler;
    const complete = type === FRAME_HEADER ? assembler.onHeader(buf, start, end) : assembler.onBody(buf, start, end);
    if (!complete) return;
    publishCommand(this, assembler.completedMethod as BasicPublishArgs, assembler.completedProperties, assembler.completedBody);
  }

  /** A complete basic.publish command (publish.ts). */
  publish(args: BasicPublishArgs, properties: Buffer, body: Buffer): void {
    publishCommand(this, args, properties, body);
  }

  // ---- replies, confirms -----------------------------------------------------------------------

  /** A definition method's reply, held until the store commits what it wrote (replies.ts). */
  replyDefinition(id: number, args: object, writesBefore: number): void {
    this.replies.definition(id, args, writesBefore);
  }

  /** The store made a publish (token = confirm sequence number) or a tx.commit / definition reply durable. */
  committed(token: number): void {
    try {
      this.onCommitted(token);
    } catch (err) {
      this.lifecycle.internalError(err);
    }
  }

  private onCommitted(token: number): void {
    if (token <= 0) {
      this.replies.committed(token);
      return;
    }
    if (this.closing) return;
    this.confirm?.settle(token, true);
    this.stats.confirm++;
    this.brokerStats.confirm++;
    if (!this.confirmFlushScheduled) {
      this.confirmFlushScheduled = true;
      process.nextTick(this.flushConfirmsLater);
    }
  }

  /** End of a read turn: coalesced publisher confirms go out. */
  flushConfirms(): void {
    if (this.confirm !== undefined && !this.closing) this.confirm.flush(this);
  }

  // ---- delivering ------------------------------------------------------------------------------

  canDeliver(): boolean {
    return !this.closing && !this.writer.blocked;
  }

  hasGlobalCredit(): boolean {
    return this.channelPrefetch === 0 || this.unacked.size < this.channelPrefetch;
  }

  /** basic.get-ok for one entry (delivery.ts). */
  deliverGet(queue: Queue, entry: QueueEntry, noAck: boolean): void {
    deliverGet(this, queue, entry, noAck);
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
        this.brokerStats.ack++;
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
    this.replies.cancelled(consumer.tag);
  }

  /** A queue deletion this channel asked for, its own consumers' cancels held behind the reply (replies.ts). */
  deleting(remove: () => number, reply: ((messageCount: number) => void) | undefined): void {
    this.replies.deleting(remove, reply);
  }

  /** Restarts deliveries after flow, qos or write-buffer changes. */
  resumeDeliveries(): void {
    for (const consumer of this.consumers.values()) consumer.queue.scheduleDrain();
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /**
   * The client's channel.close: the channel lets go of everything at once, and close-ok (lifecycle.closedByClient)
   * goes out after the synchronous replies it still owes (durable declares and deletes, tx.commit waiting for the
   * store), so that every request the client made before closing is answered, in order, before close-ok.
   */
  closeByClient(): void {
    this.release();
    this.replies.closeByClient();
  }

  /** Releases everything the channel holds: consumers first, then unacked deliveries back to their queues. */
  release(): void {
    this.closing = true;
    this.timeouts.stop();
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
    for (const p of publishes) route(this, p.args, p.exchange, p.message, p.routingKeys);
    for (const u of acks) this.applySettlement([u], u.ack, u.requeue);
    this.replies.commitApplied();
  }

  rollback(): void {
    const tx = this.tx as NonNullable<Channel['tx']>;
    tx.publishes.length = 0;
    for (const u of tx.acks.splice(0)) this.unacked.add(u);
  }
}
