import type { FieldTable } from '../protocol/field-table';
import type { BindingSpec, ExchangeType, Matcher } from './exchange-type';

/**
 * Direct exchange: a message goes to every destination bound with a key equal to its routing key.
 *
 * Table: routing key -> (destination -> number of bindings). The count exists because the same
 * (destination, key) may be bound several times with different arguments; the destination stays routable
 * until the last of those bindings is removed. A route is one Map lookup; a miss allocates nothing.
 */
class DirectMatcher<D> implements Matcher<D> {
  private readonly byKey = new Map<string, Map<D, number>>();
  /** destination -> keys it is bound with, for removeDestination. */
  private readonly keysByDestination = new Map<D, Set<string>>();

  add(binding: BindingSpec<D>): void {
    const { destination, routingKey } = binding;
    let counts = this.byKey.get(routingKey);
    if (counts === undefined) {
      counts = new Map();
      this.byKey.set(routingKey, counts);
    }
    counts.set(destination, (counts.get(destination) ?? 0) + 1);
    let keys = this.keysByDestination.get(destination);
    if (keys === undefined) {
      keys = new Set();
      this.keysByDestination.set(destination, keys);
    }
    keys.add(routingKey);
  }

  remove(binding: BindingSpec<D>): void {
    const { destination, routingKey } = binding;
    const counts = this.byKey.get(routingKey);
    const count = counts?.get(destination);
    if (counts === undefined || count === undefined) return;
    if (count > 1) {
      counts.set(destination, count - 1);
      return;
    }
    counts.delete(destination);
    if (counts.size === 0) this.byKey.delete(routingKey);
    const keys = this.keysByDestination.get(destination);
    if (keys !== undefined) {
      keys.delete(routingKey);
      if (keys.size === 0) this.keysByDestination.delete(destination);
    }
  }

  removeDestination(destination: D): void {
    const keys = this.keysByDestination.get(destination);
    if (keys === undefined) return;
    for (const key of keys) {
      const counts = this.byKey.get(key);
      if (counts === undefined) continue;
      counts.delete(destination);
      if (counts.size === 0) this.byKey.delete(key);
    }
    this.keysByDestination.delete(destination);
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<D>): void {
    const counts = this.byKey.get(routingKey);
    if (counts === undefined) return;
    for (const destination of counts.keys()) out.add(destination);
  }
}

export const directExchangeType: ExchangeType = {
  name: 'direct',
  delayed: false,
  createMatcher<D>(): Matcher<D> {
    return new DirectMatcher<D>();
  },
};
