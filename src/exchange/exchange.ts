import { MessageStats } from '../observability/stats';
import type { FieldTable } from '../protocol/field-table';
import type { Tapper } from '../util/tap';
import type { ExchangeType, Matcher } from './exchange-type';

export interface ExchangeOptions {
  readonly vhost: string;
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

/**
 * An exchange: its declaration plus the routing table its type built. Destinations are opaque objects
 * (queues, or other Exchange instances for exchange-to-exchange bindings).
 */
export class Exchange {
  readonly vhost: string;
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  readonly matcher: Matcher<object>;
  /** Whether routing reads the message's headers (headers, or x-delayed-message routing like headers). */
  readonly needsHeaders: boolean;
  /** Number of bindings with this exchange as source; drives auto-delete. */
  sourceBindings = 0;
  /** How many of those lead to other exchanges: with none (and no alternate exchange) routing is one lookup. */
  exchangeBindings = 0;
  /** The alternate-exchange argument, when it is a string. */
  readonly alternateExchange: string | undefined;
  deleted = false;
  /** publish_in / publish_out, counted by the channel that routes through this exchange. */
  readonly stats = new MessageStats();
  /**
   * x-message-deduplication on the exchange: says whether a message repeats a recent one (then it is not routed).
   * Set by the vhost, which knows messages; undefined when the exchange does not de-duplicate.
   */
  dedup: { isDuplicate(message: object): boolean } | undefined;
  /** Live tails of what is published here (util/tap.ts); undefined while nobody watches. */
  tappers: readonly Tapper[] | undefined = undefined;

  constructor(options: ExchangeOptions) {
    this.vhost = options.vhost;
    this.name = options.name;
    this.type = options.type;
    this.durable = options.durable;
    this.autoDelete = options.autoDelete;
    this.internal = options.internal;
    this.arguments = options.arguments;
    this.matcher = options.type.createMatcher<object>(options.arguments);
    this.needsHeaders = options.type.needsHeaders?.(options.arguments) ?? false;
    const ae = options.arguments['alternate-exchange'];
    this.alternateExchange = typeof ae === 'string' ? ae : undefined;
  }

  /** An x-delayed-message exchange: messages with a positive x-delay are held, then routed through it. */
  get delayed(): boolean {
    return this.type.delayed;
  }

  /** Checks binding arguments with this exchange as source: an error text, or undefined when valid. */
  validateBindingArguments(args: FieldTable): string | undefined {
    return this.type.validateBindingArguments?.(args, this.arguments);
  }
}

/** Whether messages published to `exchange` with a positive x-delay are held back (x-delayed-message). */
export function isDelayed(exchange: Exchange): boolean {
  return exchange.type.delayed;
}
