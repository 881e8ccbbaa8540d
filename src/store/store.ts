import type { FieldTable } from '../protocol/field-table';

/*
 * The Store is broker-shaped, not SQLite-shaped: it speaks of exchanges, queues and bindings (and, from
 * the durability issue on, of persistent messages), so a memory, SQLite or PostgreSQL store can sit behind it.
 * Writes are synchronous calls that may be batched; flush() resolves when everything written so far is durable.
 */

export interface ExchangeRecord {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface QueueRecord {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
}

export interface BindingRecord {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationKind: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

export interface Definitions {
  readonly exchanges: ExchangeRecord[];
  readonly queues: QueueRecord[];
  readonly bindings: BindingRecord[];
}

export interface Store {
  /** Every durable definition, for recovery at start. */
  loadDefinitions(): Definitions;
  putExchange(record: ExchangeRecord): void;
  deleteExchange(vhost: string, name: string): void;
  putQueue(record: QueueRecord): void;
  deleteQueue(vhost: string, name: string): void;
  putBinding(record: BindingRecord): void;
  deleteBinding(record: BindingRecord): void;
  /** Resolves once every earlier write is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
