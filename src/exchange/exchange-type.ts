import type { FieldTable } from '../protocol/field-table';

/**
 * A binding as an exchange type sees it. `D` is the destination: an opaque object owned by the vhost
 * (a queue or an exchange). Exchange types only answer "which destinations match"; the generic router
 * (router.ts) handles the default exchange, exchange-to-exchange walks and alternate exchanges.
 */
export interface BindingSpec<D> {
  readonly destination: D;
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

/** One exchange's routing table. Created per exchange by its ExchangeType. */
export interface Matcher<D> {
  /** Adds a binding. The vhost guarantees the same (destination, key, arguments) is never added twice. */
  add(binding: BindingSpec<D>): void;
  /** Removes a binding previously added (same destination object, key and equal arguments). */
  remove(binding: BindingSpec<D>): void;
  /** Removes every binding to `destination` (used when a queue or exchange is deleted). */
  removeDestination(destination: D): void;
  /**
   * Adds every destination matching the message to `out`. `headers` is the message's headers table
   * (undefined when the message has none). Must not allocate on a miss for direct and fanout.
   */
  route(routingKey: string, headers: FieldTable | undefined, out: Set<D>): void;
  /**
   * Present when a routing key reaches at most one destination and headers play no part (the default exchange):
   * that destination, found without filling a set (the publish path's most common case).
   */
  routeOne?(routingKey: string): D | undefined;
}

export interface ExchangeType {
  /** AMQP type name: 'direct', 'fanout', 'topic', 'headers', 'x-delayed-message'. */
  readonly name: string;
  /**
   * True for x-delayed-message: a message published to such an exchange with a positive x-delay header is held
   * (DelayedScheduler) and routed through the exchange's matcher once due; without one it is routed at once.
   */
  readonly delayed: boolean;
  /**
   * Creates one exchange's routing table. `args` are the exchange's declare arguments (x-delayed-message routes
   * like the type its x-delayed-type names); the other types ignore them. Call validateDeclareArguments first.
   */
  createMatcher<D>(args: FieldTable): Matcher<D>;
  /**
   * Validates the exchange's declare arguments at declare time; returns an error text (without the reply-code
   * prefix; the vhost replies 406 PRECONDITION_FAILED) or undefined when valid.
   */
  validateDeclareArguments?(args: FieldTable): string | undefined;
  /**
   * Validates binding arguments at bind time; returns an error text (without the reply-code prefix)
   * or undefined when valid. E.g. headers: x-match must be all, any, all-with-x or any-with-x. Types whose
   * routing depends on the exchange's own arguments (x-delayed-message) need `exchangeArguments`: call it through
   * Exchange.validateBindingArguments, which passes them.
   */
  validateBindingArguments?(args: FieldTable, exchangeArguments?: FieldTable): string | undefined;
  /** Whether route() reads the message's headers (so the router decodes them); absent means no. */
  needsHeaders?(args: FieldTable): boolean;
}
