/** Records and helpers the Store contract's feature files build their checks from. */
import type { CommitListener, DelayedRecord, ExchangeRecord, MessageRecord, ParameterRecord, QueueRecord, BindingRecord, Store } from '../../store';
import { Decimal, type FieldTable } from '../../../protocol/field-table';

export interface StoreFixture {
  store: Store;
  reopen(): Store | Promise<Store>;
  cleanup(): void | Promise<void>;
  bodies?(): number;
}

/** Every field-table value type Leveret writes, with values that decode back to exactly the same JS values. */
export const EVERY_TYPE: FieldTable = {
  str: 'héllo',
  empty: '',
  yes: true,
  no: false,
  int: 42,
  negative: -7,
  int32max: 2147483647,
  big: 2 ** 40,
  huge: 2n ** 62n,
  hugeNegative: -(2n ** 62n),
  double: 1.5,
  bytes: Buffer.from([0, 1, 2, 255]),
  when: new Date(1_700_000_000_000),
  decimal: new Decimal(2, 12345),
  nothing: null,
  list: [1, 'two', [3], { four: 4 }],
  nested: { 'x-inner': { deeper: 'yes', n: 1 }, arr: [] },
};

export function exchange(vhost: string, name: string, args: FieldTable = {}): ExchangeRecord {
  return { vhost, name, type: 'topic', durable: true, autoDelete: false, internal: false, arguments: args };
}

export function queue(vhost: string, name: string, args: FieldTable = {}): QueueRecord {
  return { vhost, name, durable: true, autoDelete: false, arguments: args };
}

export function binding(vhost: string, source: string, destination: string, kind: 'queue' | 'exchange' = 'queue', routingKey = 'rk', args: FieldTable = {}): BindingRecord {
  return { vhost, source, destination, destinationKind: kind, routingKey, arguments: args };
}

export function message(store: Store, body: string | Buffer, exchangeName = 'x', routingKey = 'rk'): MessageRecord {
  return {
    id: store.nextMessageId(),
    exchange: exchangeName,
    routingKey,
    properties: Buffer.from([0x80, 0x00, 0x0a, 0x74, 0x65, 0x78, 0x74, 0x2f, 0x70, 0x6c, 0x61, 0x69, 0x6e]),
    body: typeof body === 'string' ? Buffer.from(body) : body,
  };
}

export function parameter(component: string, vhost: string, name: string, value: unknown): ParameterRecord {
  return { component, vhost, name, value };
}

/** Parameters in a stable order, so lists compare whatever order a store returns them in. */
export function sortedParameters(list: ParameterRecord[]): ParameterRecord[] {
  const k = (p: ParameterRecord) => JSON.stringify([p.component, p.vhost, p.name]);
  return [...list].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/** A policy-shaped value with every JSON type, nested. */
export const POLICY_VALUE = {
  pattern: '^amq\\.',
  'apply-to': 'queues',
  priority: 7,
  definition: {
    'max-length': 1000,
    'message-ttl': 60000.5,
    'ha-mode': 'exactly',
    'ha-params': -2,
    'queue-master-locator': null,
    lazy: true,
    'single-active': false,
    'federation-upstream-set': 'all',
    list: [1, 'two', [3, [4]], { five: 5 }, null, true, false, 0, -0.25, 1e21],
    empty: {},
    none: [],
    unicode: 'héllo ✓ \u0000 𝄞',
  },
};

export function delayed(store: Store, vhost: string, exchangeName: string, dueAt: number, body = `due ${dueAt}`): DelayedRecord {
  return {
    id: store.nextDelayedId(),
    vhost,
    exchange: exchangeName,
    routingKey: 'rk',
    properties: Buffer.from([0x20, 0x00, 0x00, 0x00, 0x00, 0x04, 0x05, 0x78, 0x2d, 0x6b, 0x65, 0x79]),
    body: Buffer.from(body),
    dueAt,
  };
}

export function bodiesOf(entries: { message: MessageRecord }[]): string[] {
  return entries.map((e) => e.message.body.toString());
}

export class Recorder implements CommitListener {
  readonly seen: number[] = [];
  committed(token: number): void {
    this.seen.push(token);
  }
}
