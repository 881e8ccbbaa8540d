import type { ConnectionInfo } from '../connection/info';
import { exchangeTypes } from '../exchange/registry';
import type { FieldTable } from '../protocol/field-table';
import type { Store } from '../store/store';
import type { Binding } from '../vhost/bindings';
import type { PolicyValue } from '../vhost/policies';
import type { VhostRegistry } from '../vhost/registry';
import type { PermissionCheck, VhostLimits, VirtualHost } from '../vhost/vhost';
import { MANAGEMENT_OWNER } from './owner';
import { defaultBinding, formatBinding, formatExchange, propertiesKey, type BindingJson } from './views/exchange';
import type { FigureOptions } from './views/figures';
import { formatConsumerDetail, formatQueue, type QueueExtras } from './views/queue';
import { formatVhost } from './views/vhost';
import type { LazyList } from './lazy-list';
import {
  HEALTH_FIELDS,
  healthField,
  healthRow,
  rankHealth,
  type HealthSort,
  type QueueHealthRow,
} from './views/health';
import type { Queue } from '../queue/queue';

/** The queue view fields a listing can filter and sort on without building views (formatQueue has the same values). */
const QUEUE_CHEAP_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'vhost',
  'messages',
  'messages_ready',
  'messages_unacknowledged',
  'consumers',
  ...HEALTH_FIELDS.map((f) => `leveret_health.${f}`),
]);

function queueField(queue: Queue, name: string, now: number): unknown {
  if (name.startsWith('leveret_health.')) return healthField(queue, name.slice('leveret_health.'.length), now);
  switch (name) {
    case 'name':
      return queue.name;
    case 'vhost':
      return queue.vhost;
    case 'messages':
      return queue.messageCount + queue.unackedCount;
    case 'messages_ready':
      return queue.messageCount;
    case 'messages_unacknowledged':
      return queue.unackedCount;
    case 'consumers':
      return queue.consumerCount;
    default:
      return undefined;
  }
}

/** Which vhosts a listing covers: the caller's visibility (management users see only vhosts they may use). */
export type VhostFilter = (vhost: string) => boolean;

/** Limits by name ("max-connections", "max-queues"); negative means unlimited. */
export type Limits = Readonly<Record<string, number>>;

export interface ExchangeSpec {
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface QueueSpec {
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
}

/** What a publish needs to know of an exchange before it is allowed: its name, type and whether it is internal. */
export interface ExchangeFacts {
  readonly name: string;
  readonly type: string;
  readonly internal: boolean;
}

/** One binding between a source and a destination; the default exchange's implicit one cannot be removed. */
export interface BindingItem {
  readonly json: BindingJson;
  readonly removable: boolean;
}

/** The two ends of bindings named in a path: source exchange, destination queue ('q') or exchange ('e'). */
export interface BindingEnds {
  readonly source: string;
  readonly destinationType: 'q' | 'e';
  readonly destination: string;
}

/**
 * Virtual hosts and what lives in them (exchanges, queues, bindings, limits), as the management API declares,
 * deletes and lists them. Exchange names are AMQP names ('' is the default exchange). Views are plain objects with
 * RabbitMQ's field names.
 */
export class EntityAdmin {
  constructor(
    private readonly registry: VhostRegistry,
    private readonly store: Store,
    private readonly connections: () => Iterable<ConnectionInfo>,
    private readonly nodeName: string,
  ) {}

  // ---- vhosts ----------------------------------------------------------------------------------

  has(vhost: string): boolean {
    return this.registry.get(vhost) !== undefined;
  }

  names(): string[] {
    return this.registry.list().map(({ record }) => record.name);
  }

  /** Every vhost the filter keeps, as GET /api/vhosts shows it. */
  list(keep: VhostFilter, figures: FigureOptions): Record<string, unknown>[] {
    return this.registry
      .list()
      .filter(({ record }) => keep(record.name))
      .map(({ record, vhost }) => ({ ...formatVhost(record, vhost, figures), cluster_state: { [this.nodeName]: 'running' } }));
  }

  /** One vhost, or undefined when there is none. */
  show(name: string, figures: FigureOptions): Record<string, unknown> | undefined {
    const vhost = this.registry.get(name);
    if (vhost === undefined) return undefined;
    const record = this.registry.record(name);
    if (record === undefined) throw new Error('vhost without a record');
    return { ...formatVhost(record, vhost, figures), cluster_state: { [this.nodeName]: 'running' } };
  }

  /** Creates or updates a vhost; absent fields keep their value. Whether it was created. */
  put(name: string, fields: { description?: string; tags?: readonly string[]; defaultQueueType?: string }): boolean {
    const existing = this.registry.record(name);
    const defaultQueueType = fields.defaultQueueType ?? existing?.defaultQueueType;
    return this.registry.put({
      name,
      description: fields.description ?? existing?.description ?? '',
      tags: fields.tags === undefined ? (existing?.tags ?? []) : [...fields.tags],
      ...(defaultQueueType === undefined ? {} : { defaultQueueType }),
    });
  }

  delete(name: string): void {
    this.registry.delete(name);
  }

  /** Totals over the vhosts the filter keeps, for the overview. */
  totals(keep: VhostFilter): { queues: number; exchanges: number; consumers: number; messages: number; unacked: number } {
    const out = { queues: 0, exchanges: 0, consumers: 0, messages: 0, unacked: 0 };
    for (const { record, vhost } of this.registry.list()) {
      if (!keep(record.name)) continue;
      out.exchanges += vhost.exchanges.size;
      out.queues += vhost.queues.size;
      for (const queue of vhost.queues.values()) {
        out.consumers += queue.consumerCount;
        out.messages += queue.messageCount;
        out.unacked += queue.unackedCount;
      }
    }
    return out;
  }

  /** The exchange types the broker knows, by name. */
  exchangeTypes(): string[] {
    return [...exchangeTypes.keys()];
  }

  // ---- limits ----------------------------------------------------------------------------------

  /** A vhost's limits, or undefined when there is no such vhost. */
  limits(vhost: string): Limits | undefined {
    return this.registry.get(vhost)?.limits as Limits | undefined;
  }

  /** Sets a vhost's limits (all of them: absent ones are lifted); they take effect at once. */
  setLimits(vhost: string, limits: Limits): void {
    this.registry.setLimits(vhost, limits as VhostLimits);
  }

  // ---- exchanges -------------------------------------------------------------------------------

  exchanges(keep: VhostFilter): Record<string, unknown>[] {
    const items: Record<string, unknown>[] = [];
    for (const { record, vhost } of this.registry.list()) {
      if (!keep(record.name)) continue;
      for (const exchange of vhost.exchanges.values()) items.push(formatExchange(exchange));
    }
    return items;
  }

  /** A vhost's exchanges, or undefined when there is no such vhost. */
  exchangesOf(vhost: string): Record<string, unknown>[] | undefined {
    const v = this.registry.get(vhost);
    return v === undefined ? undefined : [...v.exchanges.values()].map(formatExchange);
  }

  exchange(vhost: string, name: string): Record<string, unknown> | undefined {
    const exchange = this.registry.get(vhost)?.exchanges.get(name);
    return exchange === undefined ? undefined : formatExchange(exchange);
  }

  exchangeFacts(vhost: string, name: string): ExchangeFacts | undefined {
    const exchange = this.registry.get(vhost)?.exchanges.get(name);
    return exchange === undefined ? undefined : { name: exchange.name, type: exchange.type.name, internal: exchange.internal };
  }

  /** Declares an exchange as exchange.declare does (`check` asks for each permission it needs). Whether it is new. */
  declareExchange(vhost: string, name: string, spec: ExchangeSpec, check: PermissionCheck): boolean {
    const v = this.vhost(vhost);
    const existed = v.exchanges.has(name);
    v.declareExchange({ name, passive: false, ...spec }, check);
    return !existed;
  }

  deleteExchange(vhost: string, name: string, ifUnused: boolean): void {
    this.vhost(vhost).deleteExchange(name, ifUnused);
  }

  /** An exchange's bindings as source or destination; undefined when there is no such exchange. */
  exchangeBindings(vhost: string, name: string, side: 'source' | 'destination'): BindingJson[] | undefined {
    const v = this.registry.get(vhost);
    const exchange = v?.exchanges.get(name);
    if (v === undefined || exchange === undefined) return undefined;
    const bindings = side === 'source' ? v.bindings.fromSource(exchange) : v.bindings.toDestination(exchange);
    return bindings.map((b) => formatBinding(vhost, b));
  }

  // ---- queues ----------------------------------------------------------------------------------

  hasQueue(vhost: string, name: string): boolean {
    return this.registry.get(vhost)?.queues.has(name) === true;
  }

  queues(keep: VhostFilter, figures: FigureOptions): LazyList<Queue> {
    const sources: Queue[] = [];
    for (const { record, vhost } of this.registry.list()) {
      if (!keep(record.name)) continue;
      for (const queue of vhost.queues.values()) sources.push(queue);
    }
    return this.queueList(sources, figures);
  }

  queuesOf(vhost: string, figures: FigureOptions): LazyList<Queue> | undefined {
    const v = this.registry.get(vhost);
    if (v === undefined) return undefined;
    return this.queueList([...v.queues.values()], figures);
  }

  /** Queues as a listing that builds a view only for the rows shown (lazy-list.ts). */
  private queueList(sources: Queue[], figures: FigureOptions): LazyList<Queue> {
    const options = this.queueExtras(figures);
    const node = this.nodeName;
    return {
      sources,
      cheapFields: QUEUE_CHEAP_FIELDS,
      field: (queue, name) => queueField(queue, name, figures.now > 0 ? figures.now : Date.now()),
      build: (queue) => formatQueue(queue, node, options),
    };
  }

  /** Queue health (views/health.ts) of the vhosts `keep` lets through (of `vhost` alone when given), worst first. */
  queueHealth(keep: VhostFilter, sort: HealthSort, now: number, vhost?: string): QueueHealthRow[] {
    const rows: QueueHealthRow[] = [];
    for (const { record, vhost: v } of this.registry.list()) {
      if ((vhost !== undefined && record.name !== vhost) || !keep(record.name)) continue;
      for (const queue of v.queues.values()) rows.push(healthRow(queue, now));
    }
    return rankHealth(rows, sort);
  }

  /** One queue with its consumer_details, or undefined. */
  queue(vhost: string, name: string, figures: FigureOptions): Record<string, unknown> | undefined {
    const queue = this.registry.get(vhost)?.queues.get(name);
    if (queue === undefined) return undefined;
    return formatQueue(queue, this.nodeName, { ...this.queueExtras(figures), consumers: this.consumersOf(vhost, name) });
  }

  /** Declares a queue as queue.declare does (never exclusive). Whether it is new. */
  declareQueue(vhost: string, name: string, spec: QueueSpec, check: PermissionCheck): boolean {
    const v = this.vhost(vhost);
    const existed = v.queues.has(name);
    v.declareQueue({ name, passive: false, exclusive: false, ...spec }, MANAGEMENT_OWNER, check);
    return !existed;
  }

  deleteQueue(vhost: string, name: string, ifUnused: boolean, ifEmpty: boolean): void {
    this.vhost(vhost).deleteQueue(name, ifUnused, ifEmpty, MANAGEMENT_OWNER);
  }

  /** A queue's bindings, the default exchange's implicit one first; undefined when there is no such queue. */
  queueBindings(vhost: string, name: string): BindingJson[] | undefined {
    const v = this.registry.get(vhost);
    const queue = v?.queues.get(name);
    if (v === undefined || queue === undefined) return undefined;
    return [defaultBinding(vhost, name), ...v.bindings.toDestination(queue).map((b) => formatBinding(vhost, b))];
  }

  /** Policy definitions by component, vhost and name, read once per request (effective_policy_definition). */
  private queueExtras(figures: FigureOptions): QueueExtras {
    const byKey = new Map<string, Record<string, unknown>>();
    for (const p of this.store.loadParameters()) {
      if (p.component !== 'policy' && p.component !== 'operator_policy') continue;
      const definition = (p.value as PolicyValue | undefined)?.definition;
      if (definition !== null && typeof definition === 'object') byKey.set(`${p.component}\0${p.vhost}\0${p.name}`, definition);
    }
    return { ...figures, policyDefinition: (component, vhost, name) => byKey.get(`${component}\0${vhost}\0${name}`) };
  }

  /** consumer_details of one queue: its consumers on every connection. */
  private consumersOf(vhost: string, name: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const c of this.connections()) {
      if (c.vhost !== vhost) continue;
      for (const channel of c.channels?.() ?? []) {
        for (const consumer of channel.consumers) {
          if (consumer.queue === name && consumer.vhost === vhost) out.push(formatConsumerDetail(c, channel, consumer, this.nodeName));
        }
      }
    }
    return out;
  }

  // ---- bindings --------------------------------------------------------------------------------

  /** Every binding of the vhosts the filter keeps, each queue's implicit default-exchange binding first. */
  bindings(keep: VhostFilter): BindingJson[] {
    const items: BindingJson[] = [];
    for (const { record, vhost } of this.registry.list()) {
      // One push per binding: a vhost's bindings spread into one call overflow the stack past ~100,000.
      if (keep(record.name)) for (const binding of vhostBindings(vhost)) items.push(binding);
    }
    return items;
  }

  bindingsOf(vhost: string): BindingJson[] | undefined {
    const v = this.registry.get(vhost);
    return v === undefined ? undefined : vhostBindings(v);
  }

  /** The bindings from source to destination (the default exchange's implicit one included); undefined if either is missing. */
  between(vhost: string, ends: BindingEnds): BindingItem[] | undefined {
    return this.bindingsBetween(vhost, ends)?.map(({ json, binding }) => ({ json, removable: binding !== undefined }));
  }

  /** Binds as queue.bind / exchange.bind do; the binding's properties_key. */
  bind(vhost: string, ends: BindingEnds, routingKey: string, args: FieldTable): string {
    const v = this.vhost(vhost);
    if (ends.destinationType === 'q') v.bindQueue(ends.destination, ends.source, routingKey, args, MANAGEMENT_OWNER);
    else v.bindExchange(ends.destination, ends.source, routingKey, args);
    return propertiesKey(routingKey, args);
  }

  /** Removes the binding with this properties_key; false when there is none that can be removed. */
  unbind(vhost: string, ends: BindingEnds, key: string): boolean {
    const v = this.vhost(vhost);
    const binding = this.bindingsBetween(vhost, ends)?.find((i) => i.json.properties_key === key)?.binding;
    if (binding === undefined) return false;
    if (binding.destinationKind === 'queue') {
      v.unbindQueue(binding.destination.name, binding.source.name, binding.routingKey, binding.arguments, MANAGEMENT_OWNER);
    } else {
      v.unbindExchange(binding.destination.name, binding.source.name, binding.routingKey, binding.arguments);
    }
    return true;
  }

  private bindingsBetween(vhost: string, ends: BindingEnds): Array<{ json: BindingJson; binding?: Binding }> | undefined {
    const v = this.registry.get(vhost);
    if (v === undefined) return undefined;
    const source = v.exchanges.get(ends.source);
    const destination = ends.destinationType === 'q' ? v.queues.get(ends.destination) : v.exchanges.get(ends.destination);
    if (source === undefined || destination === undefined) return undefined;
    const items: Array<{ json: BindingJson; binding?: Binding }> = [];
    if (ends.source === '' && ends.destinationType === 'q') items.push({ json: defaultBinding(v.name, destination.name) });
    for (const binding of v.bindings.fromSource(source)) {
      if (binding.destination === destination) items.push({ json: formatBinding(v.name, binding), binding });
    }
    return items;
  }

  /** The vhost (the caller checked that it exists). */
  private vhost(name: string): VirtualHost {
    const vhost = this.registry.get(name);
    if (vhost === undefined) throw new Error(`no vhost '${name}'`);
    return vhost;
  }
}

/** Every binding of a vhost, with the implicit default-exchange binding of each queue first, as RabbitMQ lists. */
function vhostBindings(vhost: VirtualHost): BindingJson[] {
  const items: BindingJson[] = [];
  for (const queue of vhost.queues.values()) items.push(defaultBinding(vhost.name, queue.name));
  for (const binding of vhost.bindings.all()) items.push(formatBinding(vhost.name, binding));
  return items;
}
