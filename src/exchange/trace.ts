import type { FieldTable } from '../protocol/field-table';
import { Exchange } from './exchange';
import type { BindingSpec } from './exchange-type';
import type { ExchangeLookup, RoutingSubject } from './router';

/*
 * The router's walk (router.ts) with a record of how each destination was reached, for "where would this message
 * go?" (the route preview). Only the preview calls it: publishing uses routeMessage, which records nothing and
 * allocates nothing on a miss. The walk is the same step for step: the exchange's own matcher answers which
 * destinations match, exchanges already visited are skipped (cycles), an exchange whose matcher matched nothing
 * hands the message to its alternate exchange, and nested exchanges are walked after the exchange's queues in the
 * order the matcher gave them. trace.test.ts checks that both walks reach the same set on random topologies.
 *
 * Which binding matched is not something a matcher says (it answers destinations). The trace asks the exchange's
 * own type: each binding from the exchange to a matched destination is put alone in a fresh matcher of that type
 * (built with the exchange's arguments, so x-delayed-message routes like its x-delayed-type) and routed; the ones
 * that match are the bindings the message took.
 */

/** One step of a path: from `exchange`, through `binding` (absent for an alternate exchange) to the next hop. */
export interface TraceHop {
  readonly exchange: Exchange;
  readonly via: 'binding' | 'alternate-exchange' | 'default';
  readonly binding: BindingSpec<object> | undefined;
}

/** A destination the message reaches (a queue), and the paths to it: one per matching binding, walk order. */
export interface TracedDestination {
  readonly destination: object;
  readonly paths: (readonly TraceHop[])[];
}

/** The bindings with `exchange` as source (the vhost's binding table). */
export type BindingsFrom = (exchange: Exchange) => Iterable<BindingSpec<object>>;

/** At most this many paths are kept per destination and walk (a fanout bound many times over would list them all). */
export const MAX_PATHS_PER_DESTINATION = 16;

export interface RouteTrace {
  /** Destinations in the order the walk reached them. */
  readonly destinations: Map<object, TracedDestination>;
  /** Exchanges the walk entered, in order (each once, across keys). */
  readonly visited: Exchange[];
}

export function emptyTrace(): RouteTrace {
  return { destinations: new Map(), visited: [] };
}

/**
 * Routes `subject` through `source` as routeMessage does, adding what it reaches to `trace`. Call once per routing
 * key (CC/BCC keys are separate walks with a fresh visited set, as in the publish pipeline).
 */
export function traceRoute(
  source: Exchange,
  subject: RoutingSubject,
  lookup: ExchangeLookup,
  bindingsFrom: BindingsFrom,
  trace: RouteTrace,
): void {
  const walker = new TraceWalk(subject, lookup, bindingsFrom, trace);
  walker.walk(source, []);
}

class TraceWalk {
  private readonly visited = new Set<Exchange>();

  constructor(
    private readonly subject: RoutingSubject,
    private readonly lookup: ExchangeLookup,
    private readonly bindingsFrom: BindingsFrom,
    private readonly trace: RouteTrace,
  ) {}

  walk(exchange: Exchange, path: readonly TraceHop[]): void {
    this.visited.add(exchange);
    if (!this.trace.visited.includes(exchange)) this.trace.visited.push(exchange);
    const headers = exchange.needsHeaders ? this.subject.headers() : undefined;
    const matched = new Set<object>();
    exchange.matcher.route(this.subject.routingKey, headers, matched);
    if (matched.size === 0) {
      const ae = exchange.alternateExchange;
      if (ae === undefined) return;
      const alternate = this.lookup(ae);
      if (alternate !== undefined && !this.visited.has(alternate)) {
        this.walk(alternate, [...path, { exchange, via: 'alternate-exchange', binding: undefined }]);
      }
      return;
    }
    const nested: [Exchange, readonly TraceHop[]][] = [];
    for (const destination of matched) {
      const hops = this.hopsTo(exchange, destination, headers);
      if (destination instanceof Exchange) {
        if (!this.visited.has(destination)) nested.push([destination, [...path, hops[0] as TraceHop]]);
      } else {
        this.reached(destination, path, hops);
      }
    }
    for (const [next, nextPath] of nested) {
      if (!this.visited.has(next)) this.walk(next, nextPath);
    }
  }

  private reached(destination: object, path: readonly TraceHop[], hops: readonly TraceHop[]): void {
    let entry = this.trace.destinations.get(destination);
    if (entry === undefined) this.trace.destinations.set(destination, (entry = { destination, paths: [] }));
    for (const hop of hops) {
      if (entry.paths.length >= MAX_PATHS_PER_DESTINATION) return;
      entry.paths.push([...path, hop]);
    }
  }

  /** The hops from `exchange` to a destination its matcher matched: one per binding that matches on its own. */
  private hopsTo(exchange: Exchange, destination: object, headers: FieldTable | undefined): TraceHop[] {
    if (exchange.name === '') {
      const binding = { destination, routingKey: this.subject.routingKey, arguments: {} };
      return [{ exchange, via: 'default', binding }];
    }
    const candidates: BindingSpec<object>[] = [];
    for (const binding of this.bindingsFrom(exchange)) if (binding.destination === destination) candidates.push(binding);
    const hops: TraceHop[] = [];
    const probe = new Set<object>();
    for (const binding of candidates) {
      const alone = exchange.type.createMatcher<object>(exchange.arguments);
      alone.add(binding);
      probe.clear();
      alone.route(this.subject.routingKey, headers, probe);
      if (probe.size > 0) hops.push({ exchange, via: 'binding', binding });
    }
    // The matcher matched the destination, so some binding did; should none match alone, still show the walk.
    if (hops.length === 0) hops.push({ exchange, via: 'binding', binding: candidates[0] });
    return hops;
  }
}
