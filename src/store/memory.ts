import { tablesEqual } from '../protocol/field-table';
import type { BindingRecord, Definitions, ExchangeRecord, QueueRecord, Store } from './store';

/** Keeps durable definitions in process memory: for tests and for brokers started without a data dir. */
export class MemoryStore implements Store {
  private readonly exchanges = new Map<string, ExchangeRecord>();
  private readonly queues = new Map<string, QueueRecord>();
  private bindings: BindingRecord[] = [];

  loadDefinitions(): Definitions {
    return {
      exchanges: [...this.exchanges.values()],
      queues: [...this.queues.values()],
      bindings: [...this.bindings],
    };
  }

  putExchange(record: ExchangeRecord): void {
    this.exchanges.set(key(record.vhost, record.name), record);
  }

  deleteExchange(vhost: string, name: string): void {
    this.exchanges.delete(key(vhost, name));
    this.bindings = this.bindings.filter(
      (b) => !(b.vhost === vhost && (b.source === name || (b.destinationKind === 'exchange' && b.destination === name))),
    );
  }

  putQueue(record: QueueRecord): void {
    this.queues.set(key(record.vhost, record.name), record);
  }

  deleteQueue(vhost: string, name: string): void {
    this.queues.delete(key(vhost, name));
    this.bindings = this.bindings.filter(
      (b) => !(b.vhost === vhost && b.destinationKind === 'queue' && b.destination === name),
    );
  }

  putBinding(record: BindingRecord): void {
    if (!this.bindings.some((b) => sameBinding(b, record))) this.bindings.push(record);
  }

  deleteBinding(record: BindingRecord): void {
    this.bindings = this.bindings.filter((b) => !sameBinding(b, record));
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

function key(vhost: string, name: string): string {
  return `${vhost}\u0000${name}`;
}

function sameBinding(a: BindingRecord, b: BindingRecord): boolean {
  return (
    a.vhost === b.vhost &&
    a.source === b.source &&
    a.destination === b.destination &&
    a.destinationKind === b.destinationKind &&
    a.routingKey === b.routingKey &&
    tablesEqual(a.arguments, b.arguments)
  );
}
