import type { FieldTable } from '../protocol/field-table';
import { Exchange } from './exchange';

/** What the router needs of the message being routed; headers are decoded only when a type needs them. */
export interface RoutingSubject {
  readonly routingKey: string;
  headers(): FieldTable | undefined;
}

export type ExchangeLookup = (name: string) => Exchange | undefined;

/**
 * Routes through `source`, following exchange-to-exchange bindings and alternate exchanges, and
 * collects queue destinations (any matched object that is not an Exchange) in `out`. `visited` makes
 * cycles safe and is the caller's scratch set (cleared here before use).
 */
export function routeMessage(
  source: Exchange,
  subject: RoutingSubject,
  lookup: ExchangeLookup,
  out: Set<object>,
  visited: Set<Exchange>,
  scratch: Set<object>,
): void {
  if (source.exchangeBindings === 0 && source.alternateExchange === undefined) {
    // Only queues can match and nothing follows a miss: the type's lookup fills `out` directly.
    source.matcher.route(subject.routingKey, source.needsHeaders ? subject.headers() : undefined, out);
    return;
  }
  visited.clear();
  walk(source, subject, lookup, out, visited, scratch);
}

function walk(
  exchange: Exchange,
  subject: RoutingSubject,
  lookup: ExchangeLookup,
  out: Set<object>,
  visited: Set<Exchange>,
  scratch: Set<object>,
): void {
  visited.add(exchange);
  const matched = scratch;
  matched.clear();
  exchange.matcher.route(subject.routingKey, exchange.needsHeaders ? subject.headers() : undefined, matched);
  if (matched.size === 0) {
    const ae = exchange.alternateExchange;
    if (ae === undefined) return;
    const alternate = lookup(ae);
    if (alternate !== undefined && !visited.has(alternate)) walk(alternate, subject, lookup, out, visited, scratch);
    return;
  }
  let nested: Exchange[] | undefined;
  for (const destination of matched) {
    if (destination instanceof Exchange) {
      if (!visited.has(destination)) (nested ??= []).push(destination);
    } else {
      out.add(destination);
    }
  }
  if (nested === undefined) return;
  for (const next of nested) {
    if (!visited.has(next)) walk(next, subject, lookup, out, visited, scratch);
  }
}
