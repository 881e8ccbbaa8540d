import { createHash } from 'node:crypto';
import type { Exchange } from '../exchange/exchange';
import {
  LENGTH_SERIES,
  messageStatsJson,
  queueHistory,
  vhostHistory,
  vhostTotalsOf,
  type History,
  type Ranges,
} from '../observability/history';
import { COUNTERS, MessageStats } from '../observability/stats';
import { timestampOf } from '../protocol/properties';
import { MAX_NESTING, type FieldTable } from '../protocol/field-table';
import { boundedJson, fieldTableToJson, nestedDeeperThan, type Json } from '../admin/json';
import type { Queue } from '../queue/queue';
import type { PermissionRecord, UserRecord, VhostRecord } from '../store/store';
import type { Binding } from '../vhost/bindings';
import type { VirtualHost } from '../vhost/vhost';
import type { ChannelInfo, ConnectionInfo, ConsumerInfo } from './deps';
import { Errors } from './errors';

/*
 * JSON shapes of the management API's objects, with RabbitMQ's field names (see
 * shared/reference/management-api.md, section 2.3).
 */

export { boundedJson, fieldTableToJson, fieldValueToJson, nestedDeeperThan, TOO_DEEP, type Json } from '../admin/json';

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

/** What a request asked about sample histories, and when: see observability/history.ts. */
export interface FigureOptions {
  readonly ranges: Ranges;
  /** ms since the epoch. */
  readonly now: number;
}

const NO_RANGES: FigureOptions = { ranges: {}, now: 0 };

/**
 * `messages`, `messages_ready`, `messages_unacknowledged` and their `_details` (rate from the sample history; with a
 * `lengths_*` range, samples, avg and avg_rate too).
 */
function lengths(ready: number, unacked: number, history: History | undefined, options: FigureOptions): Record<string, unknown> {
  const values = { messages: ready + unacked, messages_ready: ready, messages_unacknowledged: unacked };
  const out: Record<string, unknown> = {};
  for (const name of LENGTH_SERIES) {
    out[name] = values[name];
    out[`${name}_details`] = history === undefined ? { rate: 0 } : history.details(name, options.ranges.lengths, options.now);
  }
  return out;
}

/** A vhost's messages (ready and unacknowledged, over its queues) and its running totals. */
export function formatVhost(record: VhostRecord, vhost: VirtualHost | undefined, options: FigureOptions = NO_RANGES): Record<string, unknown> {
  const defaultQueueType = record.defaultQueueType ?? 'classic';
  let ready = 0;
  let unacked = 0;
  for (const queue of vhost?.queues.values() ?? []) {
    ready += queue.messageCount;
    unacked += queue.unackedCount;
  }
  const history = vhost === undefined ? undefined : vhostHistory(vhost);
  const totals = vhost === undefined ? undefined : vhostTotalsOf(vhost);
  const data = (name: 'recv_oct' | 'send_oct', value: number): Record<string, unknown> => ({
    [name]: value,
    [`${name}_details`]: history === undefined ? { rate: 0 } : history.details(name, options.ranges.data_rates, options.now),
  });
  return {
    name: record.name,
    description: record.description,
    tags: [...record.tags],
    default_queue_type: defaultQueueType,
    metadata: { description: record.description, tags: [...record.tags], default_queue_type: defaultQueueType },
    tracing: false,
    cluster_state: {} as Record<string, string>,
    ...lengths(ready, unacked, history, options),
    message_stats: messageStatsJson(totals?.stats ?? new MessageStats(), history, options.ranges.msg_rates, options.now, false),
    ...data('recv_oct', totals?.recvOct ?? 0),
    ...data('send_oct', totals?.sendOct ?? 0),
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

/** A consumer as a queue's `consumer_details` lists it (RabbitMQ's rabbit_mgmt_format:consumer). */
export function formatConsumerDetail(c: ConnectionInfo, channel: ChannelInfo, consumer: ConsumerInfo, node: string): Record<string, unknown> {
  return {
    arguments: consumer.priority === 0 ? {} : { 'x-priority': consumer.priority },
    channel_details: {
      connection_name: c.name,
      name: `${c.name} (${channel.number})`,
      node,
      number: channel.number,
      peer_host: c.peerHost,
      peer_port: c.peerPort,
      user: c.user,
    },
    ack_required: consumer.ackRequired,
    active: consumer.active ?? true,
    activity_status: consumer.active === false ? 'waiting' : 'up',
    consumer_tag: consumer.tag,
    exclusive: consumer.exclusive,
    prefetch_count: consumer.prefetchCount,
    queue: { name: consumer.queue, vhost: consumer.vhost },
  };
}

/** What a queue's JSON needs beyond the queue: its consumers and policies (the single-queue view). */
export interface QueueExtras extends FigureOptions {
  /** The queue's consumers as consumer_details; absent in listings, as in RabbitMQ. */
  readonly consumers?: ReadonlyArray<Record<string, unknown>>;
  /** A policy's definition by vhost and name (effective_policy_definition). */
  readonly policyDefinition?: (component: 'policy' | 'operator_policy', vhost: string, name: string) => Record<string, unknown> | undefined;
}

/**
 * Estimated bytes per message held in memory, beyond its body: the entry, the message object and its properties.
 * `memory` is an estimate (Node does not account per object); see spec/errata.md.
 */
const MEMORY_PER_MESSAGE = 300;
const MEMORY_PER_QUEUE = 2_000;

/** Erlang-only figures, in RabbitMQ's shape with neutral values (spec/errata.md). */
const GARBAGE_COLLECTION = { fullsweep_after: 0, max_heap_size: 0, min_bin_vheap_size: 0, min_heap_size: 0, minor_gcs: 0 };

export function formatQueue(queue: Queue, node: string, extras: QueueExtras = NO_RANGES): Record<string, unknown> {
  const ready = queue.messageCount;
  const unacked = queue.unackedCount;
  const readyRam = queue.readyInMemory;
  const readyBytesRam = Math.max(0, queue.readyBytes - queue.tailBytes);
  const history = queueHistory(queue);
  const capacity = queue.consumerCount === 0 ? 0 : (history?.mean('consumer_capacity') ?? (ready === 0 ? 1 : 0));
  const head = queue.headMessage;
  const timestamp = head === undefined ? undefined : timestampOf(head.properties);
  const active = queue.activeConsumer;
  const exclusiveTag = queue.hasExclusiveConsumer ? (extras.consumers?.find((c) => c.exclusive === true)?.consumer_tag ?? null) : null;
  const out: Record<string, unknown> = {
    ...(extras.consumers === undefined ? {} : { consumer_details: extras.consumers, deliveries: [], incoming: [] }),
    name: queue.name,
    vhost: queue.vhost,
    durable: queue.durable,
    auto_delete: queue.autoDelete,
    exclusive: queue.exclusiveOwner !== null,
    arguments: fieldTableToJson(queue.arguments),
    type: queue.settings.quorum ? 'quorum' : 'classic',
    policy: queue.policy ?? null,
    operator_policy: queue.operatorPolicy ?? null,
    effective_policy_definition: effectivePolicyDefinition(queue, extras),
    state: 'running',
    node,
    recoverable_slaves: null,
    consumers: queue.consumerCount,
    consumer_capacity: capacity,
    consumer_utilisation: capacity,
    exclusive_consumer_tag: exclusiveTag,
    single_active_consumer_tag: active?.tag ?? null,
    head_message_timestamp: timestamp ?? null,
    ...lengths(ready, unacked, history, extras),
    messages_ram: readyRam + unacked,
    messages_ready_ram: readyRam,
    messages_unacknowledged_ram: unacked,
    messages_paged_out: queue.pagedOut,
    messages_persistent: queue.persistentCount,
    message_bytes: queue.readyBytes + queue.unackedBytes,
    message_bytes_ready: queue.readyBytes,
    message_bytes_unacknowledged: queue.unackedBytes,
    message_bytes_ram: readyBytesRam + queue.unackedBytes,
    message_bytes_paged_out: queue.tailBytes,
    message_bytes_persistent: queue.persistentBytes,
    memory: MEMORY_PER_QUEUE + (readyRam + unacked) * MEMORY_PER_MESSAGE + readyBytesRam + queue.unackedBytes,
    backing_queue_status: { mode: 'default', len: ready, q1: 0, q2: 0, q3: 0, q4: readyRam, version: 1 },
    garbage_collection: { ...GARBAGE_COLLECTION },
    reductions: 0,
    reductions_details: { rate: 0 },
    message_stats: messageStatsJson(queue.stats, history, extras.ranges.msg_rates, extras.now, true),
  };
  // RabbitMQ shows idle_since only while the queue is idle: here, nothing changed over the last sample interval.
  if (history !== undefined && history.idle) out.idle_since = rabbitTime(history.lastChange);
  return out;
}

/** RabbitMQ's timestamp format for idle_since: "2024-01-02T03:04:05.678+00:00". */
export function rabbitTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/**
 * The policy and operator policy merged as RabbitMQ shows them: the policy's keys, and the operator policy's where
 * the policy has none; for a key both set to numbers, the lower.
 */
function effectivePolicyDefinition(queue: Queue, extras: QueueExtras): Json {
  const lookup = extras.policyDefinition;
  if (lookup === undefined) return {};
  const policy = queue.policy === undefined ? undefined : lookup('policy', queue.vhost, queue.policy);
  const operator = queue.operatorPolicy === undefined ? undefined : lookup('operator_policy', queue.vhost, queue.operatorPolicy);
  const out: Record<string, unknown> = { ...(policy ?? {}) };
  for (const [key, value] of Object.entries(operator ?? {})) {
    const mine = out[key];
    if (mine === undefined) out[key] = value;
    else if (typeof mine === 'number' && typeof value === 'number') out[key] = Math.min(mine, value);
  }
  return boundedJson(out);
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
    user_provided_name: userProvidedName(c),
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

/** The client property connection_name (RabbitMQ's user_provided_name), or null. */
function userProvidedName(c: ConnectionInfo): string | null {
  const name = c.clientProperties['connection_name'];
  if (typeof name === 'string') return name;
  if (Buffer.isBuffer(name)) return name.toString('utf8');
  return null;
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
