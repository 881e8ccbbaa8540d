import { delayOf } from '../delayed/scheduler';
import type { Exchange } from '../exchange/exchange';
import { emptyTrace, traceRoute, type RouteTrace, type TraceHop } from '../exchange/trace';
import type { FieldTable } from '../protocol/field-table';
import { decodeBasicProperties } from '../protocol/generated/amqp';
import type { Queue } from '../queue/queue';
import { senderRouting } from '../vhost/publish';
import type { VhostRegistry } from '../vhost/registry';
import type { VirtualHost } from '../vhost/vhost';
import { fieldTableToJson, type Json } from './json';

/*
 * "Where would this message go?" and the topology of a vhost, for POST /api/leveret/route and
 * GET /api/leveret/topology/{vhost}. The preview publishes nothing: it reads the CC and BCC keys as basic.publish
 * does (senderRouting, the publish pipeline's own door), then walks the vhost's exchanges with the router's tracing
 * walk (exchange/trace.ts), which takes the same steps as the walk every publish takes.
 */

/** One hop of a path as the API shows it. */
export interface HopJson {
  [key: string]: Json;
  exchange: string;
  exchange_type: string;
  via: TraceHop['via'];
  binding: { [key: string]: Json } | null;
  destination: string;
  destination_type: 'queue' | 'exchange';
}

/** The preview of a message about to be published (the caller checked that vhost and exchange exist). */
export interface RoutePreviewRequest {
  readonly vhost: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** The basic properties as encoded bytes, as a publish would carry them (CC and BCC headers included). */
  readonly properties: Buffer;
}

/** A destination's name: a queue's, or a direct reply-to queue's. */
function nameOf(destination: object): string {
  const name = (destination as { name?: unknown }).name;
  return typeof name === 'string' ? name : '';
}

function isExchangeHop(hops: readonly TraceHop[], i: number): boolean {
  return i < hops.length - 1;
}

function hopJson(hops: readonly TraceHop[], i: number): HopJson {
  const hop = hops[i] as TraceHop;
  const next = hops[i + 1];
  const destination = next !== undefined ? next.exchange.name : nameOf(hop.binding?.destination ?? {});
  return {
    exchange: hop.exchange.name,
    exchange_type: hop.exchange.type.name,
    via: hop.via,
    binding:
      hop.binding === undefined ? null : { routing_key: hop.binding.routingKey, arguments: fieldTableToJson(hop.binding.arguments) },
    destination,
    destination_type: isExchangeHop(hops, i) ? 'exchange' : 'queue',
  };
}

export class RoutingAdmin {
  constructor(private readonly registry: VhostRegistry) {}

  /**
   * Where a message would go: `{ vhost, exchange, routing_key, routing_keys, queues: [{ queue, routing_key, path,
   * paths }], unroutable, exchanges_visited, held_ms?, refused? }`. Throws AmqpError 406 for a CC or BCC header that
   * is not an array, as basic.publish does.
   */
  preview(request: RoutePreviewRequest): { [key: string]: Json } {
    const v = this.vhost(request.vhost);
    const exchange = v.exchanges.get(request.exchange);
    if (exchange === undefined) throw new Error(`no exchange '${request.exchange}' in vhost '${request.vhost}'`);
    const base: { [key: string]: Json } = { vhost: v.name, exchange: exchange.name, routing_key: request.routingKey };
    if (exchange.internal) {
      // basic.publish refuses it (403) before routing; so does the HTTP API's publish.
      return {
        ...base,
        routing_keys: [request.routingKey],
        queues: [],
        unroutable: true,
        exchanges_visited: [],
        refused: `ACCESS_REFUSED - cannot publish to internal exchange '${exchange.name}' in vhost '${v.name}'`,
      };
    }
    const routing = senderRouting(request.routingKey, request.properties);
    const props = routing.properties;
    const headers = props.length >= 2 ? decodeBasicProperties(props, 0, props.length).headers : undefined;
    const keys = routing.routingKeys ?? [request.routingKey];
    const bindingsFrom = (x: Exchange): Iterable<{ destination: object; routingKey: string; arguments: FieldTable }> => v.bindings.fromSource(x);
    const visited: string[] = [];
    const queues = new Map<object, { queue: string; paths: { routing_key: string; path: HopJson[] }[] }>();
    for (const key of keys) {
      const trace: RouteTrace = emptyTrace();
      traceRoute(exchange, { routingKey: key, headers: () => headers }, v.lookupExchange, bindingsFrom, trace);
      for (const x of trace.visited) if (!visited.includes(x.name)) visited.push(x.name);
      for (const [destination, entry] of trace.destinations) {
        let out = queues.get(destination);
        if (out === undefined) queues.set(destination, (out = { queue: nameOf(destination), paths: [] }));
        for (const hops of entry.paths) out.paths.push({ routing_key: key, path: hops.map((_, i) => hopJson(hops, i)) });
      }
    }
    const result: { [key: string]: Json } = {
      ...base,
      routing_keys: keys,
      queues: [...queues.values()].map((q) => {
        const first = q.paths[0];
        return { queue: q.queue, routing_key: first?.routing_key ?? request.routingKey, path: first?.path ?? [], paths: q.paths };
      }),
      unroutable: queues.size === 0,
      exchanges_visited: visited,
    };
    // x-delayed-message holds a message with a positive x-delay and routes it this way once due.
    const delay = exchange.delayed && v.delayed !== undefined ? delayOf(headers) : 0;
    if (delay > 0) result.held_ms = delay;
    return result;
  }

  /**
   * The vhost's exchanges (the default exchange left out: its bindings are implicit, one per queue), queues and
   * bindings, small enough to draw hundreds of them: `{ vhost, exchanges, queues, bindings }`.
   */
  topology(vhost: string): { [key: string]: Json } {
    const v = this.vhost(vhost);
    const exchanges: Json[] = [];
    for (const x of v.exchanges.values()) {
      if (x.name === '') continue;
      exchanges.push({
        name: x.name,
        type: x.type.name,
        durable: x.durable,
        auto_delete: x.autoDelete,
        internal: x.internal,
        alternate_exchange: x.alternateExchange ?? null,
        bindings_out: x.sourceBindings,
      });
    }
    const queues: Json[] = [];
    for (const q of v.queues.values()) queues.push(queueJson(q));
    const bindings: Json[] = v.bindings.all().map((b) => ({
      source: b.source.name,
      destination: b.destination.name,
      destination_type: b.destinationKind,
      routing_key: b.routingKey,
      arguments: fieldTableToJson(b.arguments),
    }));
    return { vhost: v.name, exchanges, queues, bindings };
  }

  private vhost(name: string): VirtualHost {
    const v = this.registry.get(name);
    if (v === undefined) throw new Error(`no vhost '${name}'`);
    return v;
  }
}

function queueJson(q: Queue): { [key: string]: Json } {
  return {
    name: q.name,
    durable: q.durable,
    auto_delete: q.autoDelete,
    exclusive: q.exclusiveOwner !== null,
    messages: q.messageCount,
    consumers: q.consumerCount,
  };
}
