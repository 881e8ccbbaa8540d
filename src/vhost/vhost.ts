import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { FieldTable } from '../protocol/field-table';
import { Exchange } from '../exchange/exchange';
import { defaultExchangeType } from '../exchange/default';
import { exchangeType } from '../exchange/registry';
import { publishedRoutingKeys, type DeathReason } from '../queue/dead-letter';
import { Publisher, type PublisherOptions, type PublishHost } from './publish';
import { DeadLetters } from './dead-letters';
import { Deduplicator } from '../queue/deduplicate';
import { headersOf, storedMessageProblem, type Message, type StoredMessageParts } from '../queue/message';
import { Queue } from '../queue/queue';
import type { QueueOptions } from '../queue/queue-options';
import type { ChurnStats } from '../observability/stats';
import type { DelayedScheduler } from '../delayed/scheduler';
import type { Definitions, Store } from '../store/store';
import { BindingTable, type Binding, type Destination } from './bindings';
import type { PolicyValue } from './policies';
import { PolicySet } from './policy-set';
import { resourceName } from './texts';
import { systemClock, type Clock } from '../util/clock';
import {
  bindingRecord,
  checkArgs,
  checkedSettings,
  checkField,
  checkQuorumDeclare,
  defaultExchangeError,
  EQUIVALENCE_CHECKED_QUEUE_ARGS,
  exchangeRecord,
  generateQueueName,
  isPersistent,
  lockedError,
  recoveredSettings,
} from './declare-checks';

export { defaultExchangeError };

import type { ExchangeDeclare, PermissionCheck, QueueDeclare, VhostEvents, VhostLimits } from './types';

export type { ExchangeDeclare, PermissionCheck, QueueDeclare, VhostEvents, VhostLimits };

const BUILT_IN_EXCHANGES: ReadonlyArray<readonly [string, string]> = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

/**
 * A virtual host owns its exchanges, queues and bindings. Every definition change goes through this
 * class, which checks it the way RabbitMQ does (throwing AmqpError) and writes durable changes to the store.
 * `owner` arguments are the calling connection, an opaque object used for exclusive queues.
 */
export class VirtualHost implements PublishHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly bindings = new BindingTable();
  /**
   * Counts durable definition writes sent to the store. A handler compares it before and after a change to know
   * whether its reply must wait for the store's commit (RabbitMQ answers only once a durable change is written).
   */
  definitionWrites = 0;
  /** Direct reply-to queues of the channels with a reply consumer, by their amq.rabbitmq.reply-to.* name. */
  readonly replyQueues = new Map<string, Queue>();
  /** Policies and operator policies (runtime parameters 'policy' and 'operator_policy'). */
  private readonly policies = new PolicySet();
  /** RabbitMQ's vhost limits; absent or negative means unlimited. */
  limits: VhostLimits = {};
  private readonly queueHooks = {
    unused: (queue: Queue): void => void this.removeQueue(queue),
    deadLetter: (queue: Queue, message: Message, reason: DeathReason, release?: () => void): void => {
      if (this.churn !== undefined) this.churn.deadLettered[reason]++;
      this.deadLetters.deadLetter(queue, message, reason, release);
    },
    setAside: (queue: Queue, message: StoredMessageParts, reason: string): void => this.setAside(queue.name, message, reason),
    error: (queue: Queue, err: unknown, during: string): void =>
      this.events?.internalError(err, { vhost: this.name, queue: queue.name, during }),
    deadLetterCongested: (): boolean => this.deadLetters.congested,
  };
  /** Dead-lettering, as a work list (dead-letters.ts): a copy can overflow its target, which dead-letters again. */
  private readonly deadLetters = new DeadLetters({
    exchange: (name) => this.exchanges.get(name),
    publisher: (options) => this.publisher(options),
    now: () => this.clock.now(),
    error: (err, queue) => this.events?.internalError(err, { vhost: this.name, queue, during: 'dead-lettering' }),
    overflowed: (dropped) => this.events?.deadLettersDropped?.(this.name, dropped),
  });
  readonly lookupExchange = (name: string): Exchange | undefined => this.exchanges.get(name);
  /** Publishes delayed messages as they fall due. */
  private readonly duePublisher = new Publisher(this);

  constructor(
    readonly name: string,
    readonly store: Store,
    /** Queue churn for the management overview. */
    private readonly churn?: ChurnStats,
    /** Holds messages published to x-delayed-message exchanges until they are due; absent: delays are ignored. */
    readonly delayed?: DelayedScheduler,
    private readonly events?: VhostEvents,
    /** What its queues and dead-lettering read the time and arm timers with. */
    readonly clock: Clock = systemClock,
  ) {
    const byName = (queue: string): Queue | undefined => this.queues.get(queue) ?? this.replyQueues.get(queue);
    const type = defaultExchangeType(byName);
    const defaults = { vhost: name, name: '', type, durable: true, autoDelete: false, internal: false, arguments: {} };
    this.exchanges.set('', new Exchange(defaults));
    for (const [exchangeName, type] of BUILT_IN_EXCHANGES) {
      this.addExchange(exchangeName, type, true, false, false, {});
    }
  }

  // ---- exchanges -------------------------------------------------------------------------------

  /**
   * `check`: a new exchange with an alternate-exchange needs read permission on itself and write permission on the
   * alternate exchange, as RabbitMQ's channel checks (else a user could route into an exchange it may not write to).
   */
  declareExchange(req: ExchangeDeclare, check?: PermissionCheck): Exchange {
    if (req.passive) return this.exchangeOrDie(req.name);
    const type = exchangeType(req.type);
    if (type === undefined) throw new AmqpError(ReplyCode.CommandInvalid, `unknown exchange type '${req.type}'`);
    if (req.name === '') throw defaultExchangeError();
    const existing = this.exchanges.get(req.name);
    if (existing === undefined) {
      if (req.name.startsWith('amq.')) {
        throw new AmqpError(ReplyCode.AccessRefused, `exchange name '${req.name}' contains reserved prefix 'amq.*'`);
      }
      const alternate = req.arguments['alternate-exchange'];
      if (check !== undefined && alternate !== undefined) {
        check('read', 'exchange', req.name);
        check('write', 'exchange', typeof alternate === 'string' ? alternate : String(alternate));
      }
      const invalid = type.validateDeclareArguments?.(req.arguments);
      if (invalid !== undefined) {
        // An x-delayed-type naming no type fails RabbitMQ's own type check: a connection error, like a bad type.
        const code = invalid.startsWith('unknown exchange type') ? ReplyCode.CommandInvalid : ReplyCode.PreconditionFailed;
        throw new AmqpError(code, invalid);
      }
      const dedup = Deduplicator.from(req.arguments);
      if (typeof dedup === 'string') throw new AmqpError(ReplyCode.PreconditionFailed, dedup);
      const exchange = this.addExchange(req.name, req.type, req.durable, req.autoDelete, req.internal, req.arguments);
      if (exchange.durable) {
        this.definitionWrites++;
        this.store.putExchange(exchangeRecord(exchange));
      }
      return exchange;
    }
    const what = resourceName('exchange', req.name, this.name);
    checkField('type', what, req.type, existing.type.name);
    checkField('durable', what, req.durable, existing.durable);
    checkField('auto_delete', what, req.autoDelete, existing.autoDelete);
    checkField('internal', what, req.internal, existing.internal);
    checkArgs(['alternate-exchange'], what, req.arguments, existing.arguments);
    return existing;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw defaultExchangeError();
    if (name.startsWith('amq.')) {
      throw new AmqpError(
        ReplyCode.AccessRefused,
        `deletion of system ${resourceName('exchange', name, this.name)} not allowed`,
      );
    }
    const exchange = this.exchanges.get(name);
    if (exchange === undefined) return;
    if (ifUnused && exchange.sourceBindings > 0) {
      throw new AmqpError(ReplyCode.PreconditionFailed, `${resourceName('exchange', name, this.name)} in use`);
    }
    this.removeExchange(exchange);
  }

  exchangeOrDie(name: string): Exchange {
    const exchange = this.exchanges.get(name);
    if (exchange === undefined) {
      throw new AmqpError(ReplyCode.NotFound, `no ${resourceName('exchange', name, this.name)}`);
    }
    return exchange;
  }

  // ---- queues ----------------------------------------------------------------------------------

  /**
   * `check` (absent: no checks) is asked for configure permission on the final name (server-named queues included)
   * before anything else, and, for a new queue with a dead-letter exchange, for read permission on the queue and write
   * permission on that exchange, as RabbitMQ's channel checks.
   */
  declareQueue(req: QueueDeclare, owner: object, check?: PermissionCheck): Queue {
    if (req.passive) {
      const queue = this.queueOrDie(req.name);
      this.checkExclusiveAccess(queue, owner);
      queue.declared();
      return queue;
    }
    // Names the client chose may not use the reserved prefix, even for a queue that exists (RabbitMQ's order:
    // name check, then configure permission, then lookup).
    if (req.name.startsWith('amq.')) {
      throw new AmqpError(ReplyCode.AccessRefused, `queue name '${req.name}' contains reserved prefix 'amq.*'`);
    }
    const name = req.name === '' ? generateQueueName() : req.name;
    check?.('configure', 'queue', name);
    const what = resourceName('queue', name, this.name);
    const settings = checkedSettings(req.arguments, what);
    if (settings.quorum) checkQuorumDeclare(req, what);
    if (this.churn !== undefined) this.churn.counts.queue_declared++;
    const existing = this.queues.get(name);
    if (existing === undefined) {
      const maxQueues = this.limits['max-queues'];
      if (maxQueues !== undefined && maxQueues >= 0 && this.queues.size >= maxQueues) {
        const reason = `cannot declare queue '${name}': queue limit in vhost '${this.name}' (${maxQueues}) is reached`;
        throw new AmqpError(ReplyCode.PreconditionFailed, reason);
      }
      this.events?.creatingQueue?.(this.name, name);
      if (check !== undefined && settings.deadLetterExchange !== undefined) {
        check('read', 'queue', name);
        check('write', 'exchange', settings.deadLetterExchange);
      }
      const exclusiveOwner = req.exclusive ? owner : null;
      const persistent = req.durable && exclusiveOwner === null;
      const record = { vhost: this.name, name, durable: req.durable, autoDelete: req.autoDelete, arguments: req.arguments };
      if (persistent) this.definitionWrites++;
      const queueId = persistent ? this.store.putQueue(record) : 0;
      return this.addQueue({ ...record, exclusiveOwner, settings }, queueId);
    }
    checkField('durable', what, req.durable, existing.durable);
    checkField('auto_delete', what, req.autoDelete, existing.autoDelete);
    checkArgs(EQUIVALENCE_CHECKED_QUEUE_ARGS, what, req.arguments, existing.arguments);
    const declaredOwner = req.exclusive ? owner : null;
    if (existing.exclusiveOwner !== declaredOwner) throw lockedError(existing);
    existing.declared();
    return existing;
  }

  queueOrDie(name: string): Queue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new AmqpError(ReplyCode.NotFound, `no ${resourceName('queue', name, this.name)}`);
    return queue;
  }

  /** The queue, if `owner` may use it: missing -> 404, another connection's exclusive queue -> 405. */
  queueFor(name: string, owner: object): Queue {
    const queue = this.queueOrDie(name);
    this.checkExclusiveAccess(queue, owner);
    return queue;
  }

  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, owner: object): number {
    const queue = this.queues.get(name);
    if (queue === undefined) return 0;
    this.checkExclusiveAccess(queue, owner);
    const what = resourceName('queue', name, this.name);
    if (ifUnused && queue.consumerCount > 0) throw new AmqpError(ReplyCode.PreconditionFailed, `${what} in use`);
    if (ifEmpty && queue.messageCount > 0) throw new AmqpError(ReplyCode.PreconditionFailed, `${what} not empty`);
    return this.removeQueue(queue);
  }

  /**
   * The vhost is being deleted: every queue is destroyed (consumers told) without touching the store, which drops
   * the vhost's records in one go.
   */
  destroy(): void {
    for (const queue of this.queues.values()) queue.destroy();
    this.queues.clear();
    for (const exchange of this.exchanges.values()) exchange.deleted = true;
    this.exchanges.clear();
  }

  /** Broker shutdown: every queue's timers stop before the store closes. */
  stop(): void {
    for (const queue of this.queues.values()) queue.stop();
  }

  /** Deletes the exclusive queues of a connection that went away. */
  ownerGone(owner: object): void {
    for (const queue of [...this.queues.values()]) {
      if (queue.exclusiveOwner === owner) this.removeQueue(queue);
    }
  }

  // ---- bindings --------------------------------------------------------------------------------

  bindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object): void {
    const queue = this.queueFor(queueName, owner);
    if (exchangeName === '') throw defaultExchangeError();
    const source = this.exchangeOrDie(exchangeName);
    this.addBinding(source, queue, 'queue', routingKey, args);
  }

  unbindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object): void {
    const queue = this.queueFor(queueName, owner);
    if (exchangeName === '') throw defaultExchangeError();
    const source = this.exchangeOrDie(exchangeName);
    this.removeBinding(source, queue, 'queue', routingKey, args);
  }

  bindExchange(destinationName: string, sourceName: string, routingKey: string, args: FieldTable): void {
    if (destinationName === '' || sourceName === '') throw defaultExchangeError();
    const destination = this.exchangeOrDie(destinationName);
    const source = this.exchangeOrDie(sourceName);
    this.addBinding(source, destination, 'exchange', routingKey, args);
  }

  unbindExchange(destinationName: string, sourceName: string, routingKey: string, args: FieldTable): void {
    if (destinationName === '' || sourceName === '') throw defaultExchangeError();
    const destination = this.exchangeOrDie(destinationName);
    const source = this.exchangeOrDie(sourceName);
    this.removeBinding(source, destination, 'exchange', routingKey, args);
  }

  // ---- publishing ------------------------------------------------------------------------------

  /** A publish pipeline (publish.ts) into this vhost, with its own scratch: one per caller. */
  publisher(options?: PublisherOptions): Publisher {
    return new Publisher(this, options);
  }

  // ---- policies --------------------------------------------------------------------------------

  /** Adds, replaces (value given) or removes (undefined) a policy, then re-applies policies to every queue. */
  setPolicy(component: string, name: string, value: PolicyValue | undefined): void {
    this.policies.set(component, name, value);
    for (const queue of this.queues.values()) this.policies.applyTo(queue);
  }

  // ---- delayed messages ------------------------------------------------------------------------

  /**
   * A delayed message fell due: it goes through the publish pipeline from the router on (with its routing key and CC
   * keys), as if just published without mandatory. Returns how many queues took it; 0 when the exchange is gone.
   */
  routeDelayed(exchangeName: string, message: Message): number {
    const exchange = this.exchanges.get(exchangeName);
    if (exchange === undefined) return 0;
    // Held in the store since it was published, possibly by an older version that did not check it.
    const problem = storedMessageProblem(message);
    if (problem !== undefined) {
      this.setAside('', message, problem);
      return 0;
    }
    // BCC was removed before the message was held; its CC keys still route it.
    return this.duePublisher.publishDue(exchange, message, publishedRoutingKeys(message, headersOf(message)));
  }

  // ---- quarantine ------------------------------------------------------------------------------

  /** Moves a message to the store's quarantine ('' queue: a delayed message not routed yet) and reports it. */
  private setAside(queue: string, message: StoredMessageParts, reason: string): void {
    this.store.quarantine({
      vhost: this.name,
      queue,
      reason,
      at: this.clock.now(),
      exchange: typeof message.exchange === 'string' ? message.exchange : '',
      routingKey: typeof message.routingKey === 'string' ? message.routingKey : '',
      properties: Buffer.isBuffer(message.properties) ? message.properties : Buffer.alloc(0),
      body: Buffer.isBuffer(message.body) ? message.body : Buffer.alloc(0),
    });
    this.events?.setAside({ vhost: this.name, queue, reason });
  }

  // ---- recovery --------------------------------------------------------------------------------

  /**
   * Start-up: brings back this vhost's durable exchanges, queues (with their stored message counts and first
   * window) and bindings from the store's definitions.
   */
  recover(definitions: Definitions): void {
    for (const x of definitions.exchanges) {
      if (x.vhost !== this.name || this.exchanges.has(x.name)) continue;
      if (exchangeType(x.type) === undefined) continue;
      this.addExchange(x.name, x.type, x.durable, x.autoDelete, x.internal, x.arguments);
    }
    for (const q of definitions.queues) {
      if (q.vhost !== this.name || this.queues.has(q.name)) continue;
      const queue = this.addQueue({ ...q, exclusiveOwner: null, settings: recoveredSettings(q.arguments) }, q.id);
      queue.recover(this.store.queueStats(q.id));
    }
    for (const b of definitions.bindings) {
      if (b.vhost !== this.name) continue;
      const source = this.exchanges.get(b.source);
      const destination = b.destinationKind === 'queue' ? this.queues.get(b.destination) : this.exchanges.get(b.destination);
      if (source === undefined || destination === undefined) continue;
      const key = BindingTable.key(b.destinationKind, destination.name, b.routingKey, b.arguments);
      if (this.bindings.get(source, key) !== undefined) continue;
      this.bindings.add({ source, destination, destinationKind: b.destinationKind, routingKey: b.routingKey, arguments: b.arguments, key });
      source.matcher.add({ destination, routingKey: b.routingKey, arguments: b.arguments });
      source.sourceBindings++;
      if (b.destinationKind === 'exchange') source.exchangeBindings++;
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private addQueue(options: QueueOptions, queueId: number): Queue {
    const persistence = queueId === 0 ? undefined : { store: this.store, queueId };
    const queue = new Queue({ ...options, clock: this.clock }, this.queueHooks, persistence);
    this.queues.set(options.name, queue);
    if (!this.policies.empty) this.policies.applyTo(queue);
    if (this.churn !== undefined) this.churn.counts.queue_created++;
    return queue;
  }

  private addExchange(
    name: string,
    typeName: string,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: FieldTable,
  ): Exchange {
    const type = exchangeType(typeName);
    if (type === undefined) throw new AmqpError(ReplyCode.CommandInvalid, `unknown exchange type '${typeName}'`);
    const exchange = new Exchange({ vhost: this.name, name, type, durable, autoDelete, internal, arguments: args });
    const dedup = Deduplicator.from(args);
    if (typeof dedup !== 'string') exchange.dedup = dedup;
    this.exchanges.set(name, exchange);
    return exchange;
  }

  private checkExclusiveAccess(queue: Queue, owner: object): void {
    if (queue.exclusiveOwner !== null && queue.exclusiveOwner !== owner) throw lockedError(queue);
  }

  private addBinding(
    source: Exchange,
    destination: Destination,
    kind: 'queue' | 'exchange',
    routingKey: string,
    args: FieldTable,
  ): void {
    const invalid = source.validateBindingArguments(args);
    if (invalid !== undefined) throw new AmqpError(ReplyCode.PreconditionFailed, invalid);
    const key = BindingTable.key(kind, destination.name, routingKey, args);
    if (this.bindings.get(source, key) !== undefined) return;
    const binding: Binding = { source, destination, destinationKind: kind, routingKey, arguments: args, key };
    this.bindings.add(binding);
    source.matcher.add({ destination, routingKey, arguments: args });
    source.sourceBindings++;
    if (kind === 'exchange') source.exchangeBindings++;
    if (isPersistent(source) && isPersistent(destination)) {
      this.definitionWrites++;
      this.store.putBinding(bindingRecord(this.name, binding));
    }
  }

  private removeBinding(
    source: Exchange,
    destination: Destination,
    kind: 'queue' | 'exchange',
    routingKey: string,
    args: FieldTable,
  ): void {
    const binding = this.bindings.get(source, BindingTable.key(kind, destination.name, routingKey, args));
    if (binding === undefined) return;
    this.dropBinding(binding);
  }

  private dropBinding(binding: Binding): void {
    const { source } = binding;
    this.bindings.remove(binding);
    source.matcher.remove({ destination: binding.destination, routingKey: binding.routingKey, arguments: binding.arguments });
    source.sourceBindings--;
    if (binding.destinationKind === 'exchange') source.exchangeBindings--;
    if (isPersistent(source) && isPersistent(binding.destination)) {
      this.definitionWrites++;
      this.store.deleteBinding(bindingRecord(this.name, binding));
    }
    if (source.autoDelete && source.sourceBindings === 0 && !source.deleted) this.removeExchange(source);
  }

  private removeExchange(exchange: Exchange): void {
    exchange.deleted = true;
    if (exchange.delayed) this.store.deleteDelayed(this.name, exchange.name);
    this.exchanges.delete(exchange.name);
    for (const binding of this.bindings.fromSource(exchange)) this.bindings.remove(binding);
    exchange.sourceBindings = 0;
    exchange.exchangeBindings = 0;
    for (const binding of this.bindings.toDestination(exchange)) this.dropBinding(binding);
    if (exchange.durable) {
      this.definitionWrites++;
      this.store.deleteExchange(this.name, exchange.name);
    }
  }

  private removeQueue(queue: Queue): number {
    if (queue.deleted) return 0;
    this.queues.delete(queue.name);
    if (this.churn !== undefined) this.churn.counts.queue_deleted++;
    const count = queue.destroy();
    for (const binding of this.bindings.toDestination(queue)) this.dropBinding(binding);
    if (isPersistent(queue)) {
      this.definitionWrites++;
      this.store.deleteQueue(this.name, queue.name);
    }
    return count;
  }
}
