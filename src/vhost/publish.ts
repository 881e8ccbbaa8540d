import { delayOf, type DelayedScheduler } from '../delayed/scheduler';
import type { Exchange } from '../exchange/exchange';
import { routeMessage, type ExchangeLookup, type RoutingSubject } from '../exchange/router';
import { AmqpError } from '../protocol/amqp-error';
import { fieldTypeName, type FieldTable } from '../protocol/field-table';
import { decodeBasicProperties, ReplyCode } from '../protocol/generated/amqp';
import { hasSenderKeyHeader } from '../protocol/properties';
import { editHeaders, encodeValue } from '../protocol/property-list';
import { headersOf, type Message } from '../queue/message';
import type { Queue } from '../queue/queue';
import type { Tapper } from '../util/tap';

/** publish(): an exchange with x-message-deduplication saw this message recently; it was not routed. */
export const PUBLISH_DUPLICATE = -1;
/** publish(): an x-delayed-message exchange holds the message (in the store) until it is due. */
export const PUBLISH_HELD = -2;

/** What the pipeline needs of its vhost. */
export interface PublishHost {
  readonly name: string;
  /** Holds messages published to x-delayed-message exchanges; absent: delays are ignored. */
  readonly delayed?: DelayedScheduler;
  readonly lookupExchange: ExchangeLookup;
}

export interface PublisherOptions {
  /** A queue the message went into is congested (the caller may pause its publisher). */
  readonly congested?: (queue: Queue) => void;
  /** Whether `queue` may take `message` (dead-lettering skips the queues of a dead-letter cycle); absent: all may. */
  readonly admit?: (queue: Queue, message: Message) => boolean;
}

/**
 * The one publish pipeline. Every way a message enters a vhost (basic.publish, the HTTP API's publish, a delayed
 * message falling due, dead-lettering) goes through a Publisher:
 *
 *   de-duplication ─► delayed hold ─► router walk (the default exchange is a matcher too) ─► CC/BCC keys ─► enqueue
 *   ─► statistics
 *
 * The CC/BCC keys are read at the door by senderRouting() (a bad header is an error of the publish that carried it,
 * even inside a transaction) and handed to publish() as `routingKeys`. Callers keep only what is theirs: mandatory
 * returns, confirms, flow control, their own counters.
 *
 * A Publisher holds its scratch sets (no allocation per message on the hot path), so each caller owns one: a channel,
 * the vhost's dead-lettering, the delayed scheduler's deliveries, the administrative service. It is not re-entered:
 * an enqueue that dead-letters hands the copy to dead-lettering's own Publisher.
 */
export class Publisher implements RoutingSubject {
  /** After publish(): whether a queue refused the message (x-overflow reject-publish). */
  refused = false;
  /** RoutingSubject: the routing key being routed now. */
  routingKey = '';
  private message: Message | undefined;
  private readonly routed = new Set<object>();
  private readonly visited = new Set<Exchange>();
  private readonly matched = new Set<object>();

  constructor(
    private readonly host: PublishHost,
    private readonly options: PublisherOptions = {},
  ) {}

  /** RoutingSubject: the headers of the message being routed, decoded once, when a type needs them. */
  headers(): FieldTable | undefined {
    return headersOf(this.message as Message);
  }

  /**
   * A new message for `exchange`, through every stage. `routingKeys` (from senderRouting) replaces the message's
   * own key when it has CC or BCC keys. Returns how many queues took it, or PUBLISH_DUPLICATE / PUBLISH_HELD.
   */
  publish(exchange: Exchange, message: Message, routingKeys?: readonly string[]): number {
    this.refused = false;
    exchange.stats.publish_in++;
    if (exchange.dedup !== undefined && exchange.dedup.isDuplicate(message)) return PUBLISH_DUPLICATE;
    if (exchange.delayed && this.hold(exchange, message)) return PUBLISH_HELD;
    return this.routeAndEnqueue(exchange, message, routingKeys);
  }

  /**
   * A held message fell due: it passed de-duplication and the hold when it was published, so it enters at the
   * router (its x-delay was negated when held, so it would not be held again either).
   */
  publishDue(exchange: Exchange, message: Message, routingKeys?: readonly string[]): number {
    this.refused = false;
    return this.routeAndEnqueue(exchange, message, routingKeys);
  }

  /**
   * x-delayed-message: a message with a positive x-delay is held by the scheduler (in the store) and published to the
   * exchange again when due. The held copy's x-delay is negated, as the plugin does, so it is not delayed twice.
   * Returns false when the message routes now. Mandatory is not honoured for held messages (nor by the plugin).
   */
  private hold(exchange: Exchange, message: Message): boolean {
    const scheduler = this.host.delayed;
    if (scheduler === undefined) return false;
    const delay = delayOf(headersOf(message));
    if (delay <= 0) return false;
    const properties = editHeaders(message.properties, [['x-delay', encodeValue(-delay)]]);
    scheduler.schedule(this.host.name, exchange.name, message.routingKey, properties, message.body, delay);
    return true;
  }

  private routeAndEnqueue(exchange: Exchange, message: Message, routingKeys: readonly string[] | undefined): number {
    const routed = this.routed;
    const keys = routingKeys ?? message.routingKeys;
    const matcher = exchange.matcher;
    if (keys === undefined && matcher.routeOne !== undefined && exchange.exchangeBindings === 0 && exchange.alternateExchange === undefined) {
      // The default exchange: one queue or none, no set to fill and empty again (about 100 ns a message).
      const queue = matcher.routeOne(message.routingKey) as Queue | undefined;
      if (queue === undefined) {
        if (exchange.tappers !== undefined) tapAll(exchange.tappers, message, 0);
        return 0;
      }
      exchange.stats.publish_out++;
      this.enqueueInto(queue, message);
      if (exchange.tappers !== undefined) tapAll(exchange.tappers, message, 1);
      return 1;
    }
    this.message = message;
    if (keys === undefined) {
      this.routingKey = message.routingKey;
      routeMessage(exchange, this, this.host.lookupExchange, routed, this.visited, this.matched);
    } else {
      for (const key of keys) {
        this.routingKey = key;
        routeMessage(exchange, this, this.host.lookupExchange, routed, this.visited, this.matched);
      }
    }
    this.message = undefined;
    const count = routed.size;
    if (count === 0) {
      if (exchange.tappers !== undefined) tapAll(exchange.tappers, message, 0);
      return 0;
    }
    exchange.stats.publish_out += count;
    let last: object | undefined;
    for (const destination of routed) {
      last = destination;
      this.enqueueInto(destination as Queue, message);
    }
    // Set.clear() gives the set a new table (an allocation per message, 12 % of scenario a's broker time in a
    // profile); taking out the one entry of a single-queue route keeps the table.
    if (count === 1) routed.delete(last as object);
    else routed.clear();
    if (exchange.tappers !== undefined) tapAll(exchange.tappers, message, count);
    return count;
  }

  private enqueueInto(queue: Queue, message: Message): void {
    const { congested, admit } = this.options;
    if (admit !== undefined && !admit(queue, message)) return;
    if (!queue.enqueue(message)) this.refused = true;
    else if (queue.tappers !== undefined) tapAll(queue.tappers, message, 1);
    if (congested !== undefined && queue.congested) congested(queue);
  }
}

/** Hands a message to live tails (util/tap.ts): each only keeps a reference, formatting happens off this path. */
function tapAll(tappers: readonly Tapper[], message: Message, routed: number): void {
  for (const tapper of tappers) tapper.tap(message, routed);
}

/** A message's routing at the door: the keys it routes with (undefined: its own key only) and its properties. */
export interface SenderRouting {
  readonly routingKeys: string[] | undefined;
  readonly properties: Buffer;
}

/**
 * The CC and BCC headers of a message being published: the routing key plus their keys, and the properties with BCC
 * removed (BCC keys route the message but are never shown to consumers). A CC or BCC header that is not an array is
 * 406, as in RabbitMQ. Messages without such headers cost one scan of the header names.
 */
export function senderRouting(routingKey: string, properties: Buffer): SenderRouting {
  if (!hasSenderKeyHeader(properties)) return { routingKeys: undefined, properties };
  const headers = decodeBasicProperties(properties, 0, properties.length).headers;
  const cc = senderKeys(headers, 'CC');
  const bcc = senderKeys(headers, 'BCC');
  const routingKeys = cc.length > 0 || bcc.length > 0 ? [routingKey, ...cc, ...bcc] : undefined;
  if (headers?.BCC !== undefined) properties = editHeaders(properties, [['BCC', null]]);
  return { routingKeys, properties };
}

/** The CC or BCC header's routing keys (longstr items); any other type of header is 406, as in RabbitMQ. */
function senderKeys(headers: FieldTable | undefined, name: 'CC' | 'BCC'): string[] {
  const value = headers?.[name];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new AmqpError(
      ReplyCode.PreconditionFailed,
      `invalid message: {unacceptable_type_in_header,"${name}",${fieldTypeName(value)}}`,
    );
  }
  const out: string[] = [];
  for (const item of value) if (typeof item === 'string') out.push(item);
  return out;
}
