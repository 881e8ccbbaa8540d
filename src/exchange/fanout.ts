import type { FieldTable } from '../protocol/field-table';
import type { BindingSpec, ExchangeType, Matcher } from './exchange-type';

/**
 * Fanout exchange: every bound destination receives every message; routing keys and arguments are ignored.
 *
 * Table: destination -> number of bindings (a destination may be bound with several keys or argument
 * tables; it is delivered to once, and stays bound until its last binding goes). Route is O(destinations)
 * and allocates nothing when there are none.
 */
class FanoutMatcher<D> implements Matcher<D> {
  private readonly counts = new Map<D, number>();

  add(binding: BindingSpec<D>): void {
    this.counts.set(binding.destination, (this.counts.get(binding.destination) ?? 0) + 1);
  }

  remove(binding: BindingSpec<D>): void {
    const count = this.counts.get(binding.destination);
    if (count === undefined) return;
    if (count > 1) this.counts.set(binding.destination, count - 1);
    else this.counts.delete(binding.destination);
  }

  removeDestination(destination: D): void {
    this.counts.delete(destination);
  }

  route(_routingKey: string, _headers: FieldTable | undefined, out: Set<D>): void {
    if (this.counts.size === 0) return;
    for (const destination of this.counts.keys()) out.add(destination);
  }
}

export const fanoutExchangeType: ExchangeType = {
  name: 'fanout',
  delayed: false,
  createMatcher<D>(): Matcher<D> {
    return new FanoutMatcher<D>();
  },
};
