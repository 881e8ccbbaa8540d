import type { FieldTable } from '../protocol/field-table';
import type { BindingSpec, ExchangeType, Matcher } from './exchange-type';

/** Finds a destination by name (the vhost's queues, direct reply-to queues included). */
export type DestinationByName = (name: string) => object | undefined;

/**
 * The default exchange ('', type direct): every queue is bound to it by its own name, implicitly. Its matcher is a
 * lookup in the vhost's queues rather than a table of bindings, so the router treats it like any other exchange.
 * Explicit bindings to or from it are refused by the vhost before they reach here (403, as RabbitMQ does).
 */
class DefaultMatcher implements Matcher<object> {
  constructor(private readonly byName: DestinationByName) {}

  add(_binding: BindingSpec<object>): void {}

  remove(_binding: BindingSpec<object>): void {}

  removeDestination(_destination: object): void {}

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<object>): void {
    const destination = this.byName(routingKey);
    if (destination !== undefined) out.add(destination);
  }

  routeOne(routingKey: string): object | undefined {
    return this.byName(routingKey);
  }
}

/**
 * The default exchange's type for one vhost: named 'direct' (what clients and the management API see), routing by
 * queue name through `byName`.
 */
export function defaultExchangeType(byName: DestinationByName): ExchangeType {
  return {
    name: 'direct',
    delayed: false,
    createMatcher: <D>() => new DefaultMatcher(byName) as unknown as Matcher<D>,
  };
}
