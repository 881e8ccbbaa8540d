/*
 * What importing a definitions file would change, worked out in the browser: each kind's objects in the file are
 * matched to the broker's current definitions (GET /api/definitions) by their identity (a queue by vhost and name, a
 * binding by everything it is, ...) and sorted into created, changed (same identity, other fields differ) and
 * unchanged. An import only adds and updates (RabbitMQ's definitions import deletes nothing), so nothing is "removed".
 */

export const KINDS = [
  'users',
  'vhosts',
  'permissions',
  'topic_permissions',
  'queues',
  'exchanges',
  'bindings',
  'policies',
  'operator_policies',
  'parameters',
  'global_parameters',
] as const;

export type Kind = (typeof KINDS)[number];

type Item = Readonly<Record<string, unknown>>;

/** What makes two objects of a kind the same object. */
const IDENTITY: Readonly<Record<Kind, readonly string[]>> = {
  users: ['name'],
  vhosts: ['name'],
  permissions: ['user', 'vhost'],
  topic_permissions: ['user', 'vhost', 'exchange'],
  queues: ['vhost', 'name'],
  exchanges: ['vhost', 'name'],
  bindings: ['vhost', 'source', 'destination', 'destination_type', 'routing_key', 'arguments'],
  policies: ['vhost', 'name'],
  operator_policies: ['vhost', 'name'],
  parameters: ['vhost', 'component', 'name'],
  global_parameters: ['name'],
};

export interface KindChange {
  readonly kind: Kind;
  readonly created: readonly string[];
  readonly changed: readonly string[];
  readonly unchanged: number;
}

export interface Preview {
  readonly kinds: readonly KindChange[];
  /** Entries of the file that are not objects, or keys this preview does not know (imported as the broker sees fit). */
  readonly unknownKeys: readonly string[];
}

/** JSON with object keys sorted, so equal objects give equal text whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function identity(kind: Kind, item: Item): string {
  return IDENTITY[kind].map((field) => canonical(item[field])).join('\u0000');
}

/** How an object reads in the preview. */
export function label(kind: Kind, item: Item): string {
  const s = (field: string): string => String(item[field] ?? '');
  switch (kind) {
    case 'permissions':
      return `${s('user')} in vhost ${s('vhost')}`;
    case 'topic_permissions':
      return `${s('user')} in vhost ${s('vhost')}, exchange ${s('exchange')}`;
    case 'queues':
    case 'exchanges':
    case 'policies':
    case 'operator_policies':
      return `${s('name')} in vhost ${s('vhost')}`;
    case 'bindings':
      return `${s('source') === '' ? '(default exchange)' : s('source')} → ${s('destination_type')} ${s('destination')}` +
        `${s('routing_key') === '' ? '' : ` (${s('routing_key')})`} in vhost ${s('vhost')}`;
    case 'parameters':
      return `${s('component')} ${s('name')} in vhost ${s('vhost')}`;
    default:
      return s('name');
  }
}

function items(definitions: Item, kind: Kind): Item[] {
  const list = definitions[kind];
  return Array.isArray(list) ? list.filter((x): x is Item => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
}

const METADATA = new Set(['rabbit_version', 'rabbitmq_version', 'product_name', 'product_version']);

/** Throws a readable error when `file` is not a definitions document. */
export function parseDefinitions(text: string): Item {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`This file is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('This file is not a definitions document (a JSON object).');
  const doc = parsed as Item;
  if (!KINDS.some((kind) => Array.isArray(doc[kind]))) throw new Error('This file has none of users, vhosts, queues, exchanges, bindings, policies, parameters.');
  return doc;
}

/** The changes importing `file` would make to `current`. */
export function previewImport(file: Item, current: Item): Preview {
  const kinds = KINDS.filter((kind) => Array.isArray(file[kind])).map((kind): KindChange => {
    const now = new Map(items(current, kind).map((item) => [identity(kind, item), canonical(item)]));
    const created: string[] = [];
    const changed: string[] = [];
    let unchanged = 0;
    for (const item of items(file, kind)) {
      const before = now.get(identity(kind, item));
      if (before === undefined) created.push(label(kind, item));
      else if (before !== canonical(item)) changed.push(label(kind, item));
      else unchanged++;
    }
    return { kind, created, changed, unchanged };
  });
  const unknownKeys = Object.keys(file).filter((key) => !METADATA.has(key) && !(KINDS as readonly string[]).includes(key));
  return { kinds, unknownKeys };
}
