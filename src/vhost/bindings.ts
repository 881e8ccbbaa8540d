import type { FieldTable, FieldValue } from '../protocol/field-table';
import type { Exchange } from '../exchange/exchange';
import type { Queue } from '../queue/queue';

export type Destination = Queue | Exchange;

export interface Binding {
  readonly source: Exchange;
  readonly destination: Destination;
  readonly destinationKind: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: FieldTable;
  /** Identity of (destination, key, arguments) within one source. */
  readonly key: string;
}

/** The bindings of one vhost, indexed by source and by destination. */
export class BindingTable {
  private readonly bySource = new Map<Exchange, Map<string, Binding>>();
  private readonly byDestination = new Map<Destination, Set<Binding>>();

  static key(kind: 'queue' | 'exchange', destination: string, routingKey: string, args: FieldTable): string {
    return `${kind}\u0000${destination}\u0000${routingKey}\u0000${canonical(args)}`;
  }

  get(source: Exchange, key: string): Binding | undefined {
    return this.bySource.get(source)?.get(key);
  }

  add(binding: Binding): void {
    let forSource = this.bySource.get(binding.source);
    if (forSource === undefined) this.bySource.set(binding.source, (forSource = new Map()));
    forSource.set(binding.key, binding);
    let forDestination = this.byDestination.get(binding.destination);
    if (forDestination === undefined) this.byDestination.set(binding.destination, (forDestination = new Set()));
    forDestination.add(binding);
  }

  remove(binding: Binding): void {
    const forSource = this.bySource.get(binding.source);
    if (forSource !== undefined) {
      forSource.delete(binding.key);
      if (forSource.size === 0) this.bySource.delete(binding.source);
    }
    const forDestination = this.byDestination.get(binding.destination);
    if (forDestination !== undefined) {
      forDestination.delete(binding);
      if (forDestination.size === 0) this.byDestination.delete(binding.destination);
    }
  }

  fromSource(source: Exchange): Binding[] {
    const forSource = this.bySource.get(source);
    return forSource === undefined ? [] : [...forSource.values()];
  }

  toDestination(destination: Destination): Binding[] {
    const forDestination = this.byDestination.get(destination);
    return forDestination === undefined ? [] : [...forDestination];
  }

  hasDestinationBindings(destination: Destination): boolean {
    return this.byDestination.has(destination);
  }

  all(): Binding[] {
    const out: Binding[] = [];
    for (const forSource of this.bySource.values()) for (const b of forSource.values()) out.push(b);
    return out;
  }
}

/** A stable text form of a table, for identity: key order does not matter. */
function canonical(value: FieldValue | FieldTable): string {
  if (value === null) return 'V';
  if (Buffer.isBuffer(value)) return `x${value.toString('base64')}`;
  if (value instanceof Date) return `T${value.getTime()}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'bigint':
      return `n${value.toString()}`;
    case 'boolean':
      return value ? 't' : 'f';
    default: {
      const table = value as Record<string, FieldValue>;
      const keys = Object.keys(table).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(table[k] as FieldValue)}`).join(',')}}`;
    }
  }
}
