import { createHash } from 'node:crypto';
import type { Exchange } from '../exchange/exchange';
import { COUNTERS, MessageStats } from '../observability/stats';
import { Decimal, Float32, MAX_NESTING, WideTimestamp, type FieldTable, type FieldValue } from '../protocol/field-table';
import type { Queue } from '../queue/queue';
import type { PermissionRecord, UserRecord, VhostRecord } from '../store/store';
import type { Binding } from '../vhost/bindings';
import type { ConnectionInfo } from './deps';
import { Errors } from './errors';

/*
 * JSON shapes of the management API's objects, with RabbitMQ's field names (see
 * shared/reference/management-api.md, section 2.3).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What a table or array nested deeper than MAX_NESTING shows as. Nothing can store one any more (the codec refuses
 * it on the wire, the API at the door), but a store written before may hold one, and rendering it whole would
 * recurse without bound, and JSON.stringify with it: a listing must answer whatever is stored.
 */
export const TOO_DEEP = `(nested deeper than ${MAX_NESTING} levels)`;

/**
 * An AMQP field value as JSON: bigints outside the safe range become strings, bytes utf8, timestamps seconds.
 * `depth` is the nesting of the table or array holding the value (0 for a top-level table's values).
 */
export function fieldValueToJson(value: FieldValue, depth = 0): Json {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    default:
      break;
  }
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof WideTimestamp) return fieldValueToJson(value.seconds, depth);
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (value instanceof Decimal) return value.digits / 10 ** value.places;
  if (value instanceof Float32) return Number.isFinite(value.value) ? value.value : String(value.value);
  if (depth + 1 > MAX_NESTING) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => fieldValueToJson(v, depth + 1));
  return fieldTableToJson(value, depth + 1);
}

/** A field table as JSON; tables and arrays nested deeper than MAX_NESTING show as TOO_DEEP. */
export function fieldTableToJson(table: FieldTable, depth = 0): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(table)) out[key] = fieldValueToJson(table[key] as FieldValue, depth);
  return out;
}

/**
 * Whether a JSON value has objects or arrays nested more than `max` levels below itself (the value, when an object
 * or array, is level 0: the field-table codec counts the same way). Iterative, so any depth is safe to ask about.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop() as { value: unknown; depth: number };
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * Refuses (400) a JSON value nested deeper than an AMQP field table may be (MAX_NESTING, the codec's limit): queue,
 * exchange and binding arguments, message headers, policy definitions and runtime parameter values, which the API
 * stores and lists back. `what` names it in the reason.
 */
export function checkNesting(value: unknown, what: string): void {
  if (nestedDeeperThan(value, MAX_NESTING)) throw Errors.badRequest(`${what} is nested deeper than ${MAX_NESTING} levels`);
}

/** A JSON object from a request body as a field table (JSON values are all valid field values); 400 when too deep. */
export function jsonToFieldTable(value: unknown, what = 'arguments'): FieldTable {
  if (value === null || value === undefined) return {};
  checkNesting(value, what);
  return value as FieldTable;
}

/**
 * A stored JSON value (a policy definition, a runtime parameter) to answer with: itself, unless something stored it
 * nested deeper than `max` levels; then a copy whose deeper objects and arrays show as TOO_DEEP.
 */
export function boundedJson(value: unknown, max = MAX_NESTING): Json {
  if (!nestedDeeperThan(value, max)) return value as Json;
  const copy = (v: unknown, depth: number): Json => {
    if (v === null || typeof v !== 'object') return v as Json;
    if (depth > max) return TOO_DEEP;
    if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1));
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = copy(x, depth + 1);
    return out;
  };
  return copy(value, 0);
}

const RATE = { rate: 0 };

export function formatVhost(record: VhostRecord, messages: number): Record<string, unknown> {
  const defaultQueueType = record.defaultQueueType ?? 'classic';
  return {
    name: record.name,
    description: record.description,
    tags: [...record.tags],
    default_queue_type: defaultQueueType,
    metadata: { description: record.description, tags: [...record.tags], default_queue_type: defaultQueueType },
    tracing: false,
    cluster_state: {} as Record<string, string>,
    messages,
    messages_details: { ...RATE },
    messages_ready: messages,
    messages_ready_details: { ...RATE },
    messages_unacknowledged: 0,
    messages_unacknowledged_details: { ...RATE },
  };
}

export function formatUser(record: UserRecord): Record<string, unknown> {
  return {
    name: record.name,
    password_hash: record.passwordHash,
    hashing_algorithm: record.hashingAlgorithm,
    tags: [...record.tags],
    limits: {},
  };
}

export function formatPermission(record: PermissionRecord): Record<string, unknown> {
  return { user: record.user, vhost: record.vhost, configure: record.configure, write: record.write, read: record.read };
}

export function formatExchange(exchange: Exchange): Record<string, unknown> {
  return {
    name: exchange.name,
    vhost: exchange.vhost,
    type: exchange.type.name,
    durable: exchange.durable,
    auto_delete: exchange.autoDelete,
    internal: exchange.internal,
    arguments: fieldTableToJson(exchange.arguments),
    user_who_performed_action: '',
    message_stats: exchange.stats.toJSON(),
  };
}

export function formatQueue(queue: Queue, node: string): Record<string, unknown> {
  const ready = queue.messageCount;
  const unacked = queue.unackedCount;
  return {
    name: queue.name,
    vhost: queue.vhost,
    durable: queue.durable,
    auto_delete: queue.autoDelete,
    exclusive: queue.exclusiveOwner !== null,
    arguments: fieldTableToJson(queue.arguments),
    type: queue.settings.quorum ? 'quorum' : 'classic',
    policy: queue.policy ?? null,
    operator_policy: queue.operatorPolicy ?? null,
    state: 'running',
    node,
    consumers: queue.consumerCount,
    messages: ready + unacked,
    messages_details: { rate: 0 },
    messages_ready: ready,
    messages_ready_details: { rate: 0 },
    messages_unacknowledged: unacked,
    messages_unacknowledged_details: { rate: 0 },
    // Body bytes of ready messages are tracked (x-max-length-bytes needs them); unacknowledged ones are not.
    message_bytes: queue.readyBytes,
    message_bytes_ready: queue.readyBytes,
    message_bytes_unacknowledged: 0,
    message_stats: queue.stats.toJSON(),
  };
}

/**
 * RabbitMQ's properties_key (rabbit_mgmt_format:pack_binding_props): "~" for an empty key without arguments, the
 * quote_plus'ed routing key without arguments, else "<quoted key>~<hash of the arguments>". Clients treat it as
 * opaque, so our hash need only be stable.
 */
export function propertiesKey(routingKey: string, args: FieldTable): string {
  const hasArgs = Object.keys(args).length > 0;
  if (!hasArgs) return routingKey === '' ? '~' : quotePlus(routingKey);
  return `${quotePlus(routingKey)}~${argumentsHash(args)}`;
}

function argumentsHash(args: FieldTable): string {
  return createHash('sha256').update(stableJson(fieldTableToJson(args))).digest('base64url').slice(0, 10);
}

function stableJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k] as Json)}`).join(',')}}`;
}

/** Python's quote_plus as RabbitMQ applies it: unreserved stay, space -> '+', the rest (and '~') %XX. */
export function quotePlus(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.-]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface BindingJson {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: { [key: string]: Json };
  properties_key: string;
}

export function formatBinding(vhost: string, binding: Binding): BindingJson {
  return {
    source: binding.source.name,
    vhost,
    destination: binding.destination.name,
    destination_type: binding.destinationKind,
    routing_key: binding.routingKey,
    arguments: fieldTableToJson(binding.arguments),
    properties_key: propertiesKey(binding.routingKey, binding.arguments),
  };
}

/** The implicit binding of every queue to the default exchange, which RabbitMQ lists too. */
export function defaultBinding(vhost: string, queueName: string): BindingJson {
  return {
    source: '',
    vhost,
    destination: queueName,
    destination_type: 'queue',
    routing_key: queueName,
    arguments: {},
    properties_key: propertiesKey(queueName, {}),
  };
}

export function formatConnection(c: ConnectionInfo, node: string): Record<string, unknown> {
  return {
    name: c.name,
    node,
    state: c.state ?? 'running',
    type: 'network',
    protocol: 'AMQP 0-9-1',
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost,
    host: c.host,
    port: c.port,
    peer_host: c.peerHost,
    peer_port: c.peerPort,
    ssl: false,
    auth_mechanism: c.authMechanism ?? 'PLAIN',
    timeout: c.heartbeat,
    frame_max: c.frameMax,
    channel_max: c.channelMax,
    client_properties: fieldTableToJson(c.clientProperties),
    connected_at: c.connectedAt,
    channels: c.channelCount,
    recv_oct: c.recvOct ?? 0,
    recv_oct_details: { rate: 0 },
    send_oct: c.sendOct ?? 0,
    send_oct_details: { rate: 0 },
    recv_cnt: 0,
    send_cnt: 0,
    send_pend: 0,
    message_stats: connectionStats(c),
  };
}

/** A connection's message_stats: the sum of its open channels' counters and rates. */
function connectionStats(c: ConnectionInfo): Record<string, number | { rate: number }> {
  const sum = new MessageStats();
  for (const channel of c.channels?.() ?? []) {
    const stats = channel.stats;
    for (const name of COUNTERS) {
      sum[name] += stats[name];
      sum.rates[name] += stats.rates[name];
    }
  }
  return sum.toJSON();
}
