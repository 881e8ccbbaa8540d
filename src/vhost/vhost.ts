import { randomBytes } from 'node:crypto';
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { FieldTable } from '../protocol/field-table';
import { Exchange } from '../exchange/exchange';
import { defaultExchangeType } from '../exchange/default';
import { exchangeType } from '../exchange/registry';
import { ArgumentError, DEFAULT_SETTINGS, parseQueueArguments, type QueueSettings } from '../queue/arguments';
import { publishedRoutingKeys, type DeathReason } from '../queue/dead-letter';
import { Publisher, type PublisherOptions, type PublishHost } from './publish';
import { DeadLetters } from './dead-letters';
import { Deduplicator } from '../queue/deduplicate';
import { headersOf, storedMessageProblem, type Message, type StoredMessageParts } from '../queue/message';
import { Queue, type QueueOptions } from '../queue/queue';
import type { ChurnStats } from '../observability/stats';
import type { DelayedScheduler } from '../delayed/scheduler';
import type { Definitions, Store } from '../store/store';
import { BindingTable, type Binding, type Destination } from './bindings';
import {
  compilePolicy,
  effectiveArguments,
  OPERATOR_POLICY_COMPONENT,
  queuePolicy,
  type Policy,
  type PolicyValue,
} from './policies';
import { describeValue, printValue, resourceName } from './texts';

export interface VhostLimits {
  readonly 'max-connections'?: number;
  readonly 'max-queues'?: number;
}

export interface ExchangeDeclare {
  readonly name: string;
  readonly type: string;
  readonly passive: boolean;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface QueueDeclare {
  readonly name: string;
  readonly passive: boolean;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
}

/**
 * What a vhost tells the broker about failures it contained. Optional: a vhost without them (unit tests) still
 * contains the failure, it just reports it nowhere.
 */
export interface VhostEvents {
  /** An unexpected exception in a queue's timer or callback (`during`: 'expiry', 'delivery', ...), contained. */
  internalError(err: unknown, where: { vhost: string; queue?: string; during: string }): void;
  /** A message was moved to the quarantine (it could not be read back or delivered). */
  setAside(where: { vhost: string; queue: string; reason: string }): void;
  /**
   * Dead-letter copies were dropped (reported at most once a turn): a cascade reached MAX_COPIES_PER_CASCADE, or the
   * copies waiting reached their bound (vhost/dead-letters.ts).
   */
  deadLettersDropped?(vhost: string, dropped: number): void;
}

/**
 * A permission check of the caller (an AMQP channel, an HTTP request): throws ACCESS_REFUSED unless its user has
 * `kind` permission on the resource. Declares call it for what RabbitMQ checks beyond the caller's own checks.
 */
export type PermissionCheck = (kind: 'configure' | 'write' | 'read', resource: 'queue' | 'exchange', name: string) => void;

/** Queue arguments RabbitMQ compares when a queue is re-declared; others are accepted as they come. */
const EQUIVALENCE_CHECKED_QUEUE_ARGS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-single-active-consumer',
  'x-delivery-limit',
];

/** Classic-queue arguments RabbitMQ 3.10 refuses on quorum queues. */
const QUORUM_UNSUPPORTED_ARGS = ['x-max-priority', 'x-queue-mode', 'x-queue-master-locator'];

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
  /** Policies and operator policies by name (runtime parameters 'policy' and 'operator_policy'). */
  private readonly policies = new Map<string, Policy>();
  private readonly operatorPolicies = new Map<string, Policy>();
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
        throw new AmqpError(
          ReplyCode.PreconditionFailed,
          `cannot declare queue '${name}': queue limit in vhost '${this.name}' (${maxQueues}) is reached`,
        );
      }
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
    const map = component === OPERATOR_POLICY_COMPONENT ? this.operatorPolicies : this.policies;
    const policy = value === undefined ? undefined : compilePolicy(name, value);
    if (policy === undefined) map.delete(name);
    else map.set(name, policy);
    for (const queue of this.queues.values()) this.applyPolicies(queue);
  }

  private applyPolicies(queue: Queue): void {
    const quorum = queue.settings.quorum;
    const policy = queuePolicy(this.policies.values(), queue.name, quorum);
    const operatorPolicy = queuePolicy(this.operatorPolicies.values(), queue.name, quorum);
    if (policy === undefined && operatorPolicy === undefined && queue.policy === undefined && queue.operatorPolicy === undefined) return;
    let settings: QueueSettings;
    try {
      settings = parseQueueArguments(effectiveArguments(queue.arguments, policy, operatorPolicy));
    } catch {
      settings = recoveredSettings(queue.arguments);
    }
    queue.applySettings(settings, policy?.name, operatorPolicy?.name);
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
      at: Date.now(),
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
    const queue = new Queue(options, this.queueHooks, persistence);
    this.queues.set(options.name, queue);
    if (this.policies.size > 0 || this.operatorPolicies.size > 0) this.applyPolicies(queue);
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

/** The queue's settings from its arguments; an invalid one is 406 with RabbitMQ's text. */
function checkedSettings(args: FieldTable, what: string): QueueSettings {
  try {
    return parseQueueArguments(args);
  } catch (err) {
    if (err instanceof ArgumentError) throw new AmqpError(ReplyCode.PreconditionFailed, err.textFor(what));
    throw err;
  }
}

/** RabbitMQ's rules for quorum queues (Leveret runs them as classic queues, but declares them the same way). */
function checkQuorumDeclare(req: QueueDeclare, what: string): void {
  const invalid = !req.durable ? 'non-durable' : req.exclusive ? 'exclusive-owner' : req.autoDelete ? 'auto-delete' : undefined;
  if (invalid !== undefined) throw new AmqpError(ReplyCode.PreconditionFailed, `invalid property '${invalid}' for ${what}`);
  for (const key of QUORUM_UNSUPPORTED_ARGS) {
    if (req.arguments[key] !== undefined) {
      throw new AmqpError(ReplyCode.PreconditionFailed, `invalid arg '${key}' for ${what} of queue type rabbit_quorum_queue`);
    }
  }
}

/** Stored arguments were checked when declared; a file from a more lenient version falls back to the defaults. */
function recoveredSettings(args: FieldTable): QueueSettings {
  try {
    return parseQueueArguments(args);
  } catch {
    return DEFAULT_SETTINGS;
  }
}

/** Whether an entity belongs in the store: durable, and not an exclusive queue (those die with their connection). */
function isPersistent(entity: Destination): boolean {
  return entity.durable && !(entity instanceof Queue && entity.exclusiveOwner !== null);
}

function generateQueueName(): string {
  return `amq.gen-${randomBytes(16).toString('base64url')}`;
}

export function defaultExchangeError(): AmqpError {
  return new AmqpError(ReplyCode.AccessRefused, 'operation not permitted on the default exchange');
}

function lockedError(queue: Queue): AmqpError {
  return new AmqpError(
    ReplyCode.ResourceLocked,
    `cannot obtain exclusive access to locked ${resourceName('queue', queue.name, queue.vhost)}. ` +
      'It could be originally declared on another connection or the exclusive property value does not match ' +
      'that of the original declaration.',
  );
}

function checkField(field: string, what: string, received: string | boolean, current: string | boolean): void {
  if (received !== current) {
    throw new AmqpError(
      ReplyCode.PreconditionFailed,
      `inequivalent arg '${field}' for ${what}: received '${String(received)}' but current is '${String(current)}'`,
    );
  }
}

function checkArgs(keys: readonly string[], what: string, received: FieldTable, current: FieldTable): void {
  for (const key of keys) {
    const a = received[key];
    const b = current[key];
    if (a === undefined && b === undefined) continue;
    if (a !== undefined && b !== undefined && sameValue(a, b)) continue;
    // RabbitMQ prints bare values when both sides have one, typed values against 'none'.
    const both = a !== undefined && b !== undefined;
    const got = both ? `'${printValue(a)}'` : describeValue(a);
    const had = both ? `'${printValue(b)}'` : describeValue(b);
    throw new AmqpError(
      ReplyCode.PreconditionFailed,
      `inequivalent arg '${key}' for ${what}: received ${got} but current is ${had}`,
    );
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') return String(a) === String(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return String(a) === String(b);
  return a === b;
}

function exchangeRecord(exchange: Exchange) {
  return {
    vhost: exchange.vhost,
    name: exchange.name,
    type: exchange.type.name,
    durable: exchange.durable,
    autoDelete: exchange.autoDelete,
    internal: exchange.internal,
    arguments: exchange.arguments,
  };
}

function bindingRecord(vhost: string, binding: Binding) {
  return {
    vhost,
    source: binding.source.name,
    destination: binding.destination.name,
    destinationKind: binding.destinationKind,
    routingKey: binding.routingKey,
    arguments: binding.arguments,
  };
}
